"""Replies waiting for a live channel (the web chat): one Redis stream per conversation.

A reply sent while the page is reconnecting is not lost: the page resumes from the last id it saw.
"""

from __future__ import annotations

import json
from typing import Optional

import redis.asyncio as aioredis

from connectors.models import OutboundMessage

MAX_LENGTH = 500
TTL_SECONDS = 24 * 3600


def _key(conversation_id: str) -> str:
    return f"hamyar:outbox:{conversation_id}"


class Outbox:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis

    async def put(self, conversation_id: str, message: OutboundMessage, sender: str = "bot", message_id: str = "") -> str:
        """Add a reply (or, with sender "user", the citizen's own message, for the history)."""
        key = _key(conversation_id)
        entry = {"sender": sender, "message_id": message_id, "message": message.model_dump_json()}
        if message.clear_history:
            entry["clear_history"] = "1"  # the page empties what it shows before this reply
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xadd(key, entry, maxlen=MAX_LENGTH, approximate=True)
            pipe.expire(key, TTL_SECONDS)
            message_id, _ = await pipe.execute()
        return message_id

    async def read(self, conversation_id: str, after: str, block_ms: Optional[int] = None) -> list[tuple[str, str, dict]]:
        """Entries after ``after`` ("0" for all), waiting up to ``block_ms`` for the first (None:
        not waiting; the web chat's streams wait on connectors/streamhub.py instead)."""
        result = await self._redis.xread({_key(conversation_id): after}, block=block_ms, count=50)
        entries = []
        for _, items in result or []:
            for entry_id, fields in items:
                message = {"message_id": fields.get("message_id", ""), **json.loads(fields["message"])}
                if fields.get("clear_history"):
                    message["clear_history"] = True
                entries.append((entry_id, fields["sender"], message))
        return entries

    async def clear(self, conversation_id: str) -> None:
        """Forget the history (the citizen said goodbye). Trimmed rather than deleted, so the
        stream keeps its last id and a page that resumes from it misses nothing that follows."""
        await self._redis.xtrim(_key(conversation_id), maxlen=0, approximate=False)

    async def last_id(self, conversation_id: str) -> Optional[str]:
        items = await self._redis.xrevrange(_key(conversation_id), count=1)
        return items[0][0] if items else None
