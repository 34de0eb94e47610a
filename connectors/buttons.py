"""Button ids in Redis: a channel shows an id, the gateway alone knows the payload behind it.

Keeping the mapping in Redis (not process memory) lets any gateway process answer a click, and
keeps callback data short (Telegram allows 64 bytes).
"""

from __future__ import annotations

import json
import secrets
from typing import Optional

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

TTL_SECONDS = 24 * 3600


def _key(conversation_id: str) -> str:
    return f"hamyar:buttons:{conversation_id}"


class ButtonRegistry:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis

    async def register(self, conversation_id: str, buttons: list[dict]) -> list[str]:
        """Ids for buttons ({"title", "payload"}), in order."""
        if not buttons:
            return []
        async with self._redis.pipeline(transaction=True) as pipe:
            ids = self.register_in(pipe, conversation_id, buttons)
            await pipe.execute()
        return ids

    def register_in(self, pipe: Pipeline, conversation_id: str, buttons: list[dict]) -> list[str]:
        """Ids for buttons, in order, their payloads kept by the caller's transaction (which must
        run before the ids are shown)."""
        if not buttons:
            return []
        ids = [secrets.token_urlsafe(6) for _ in buttons]
        key = _key(conversation_id)
        values = {i: json.dumps({"payload": b["payload"], "title": b["title"]}, ensure_ascii=False) for i, b in zip(ids, buttons)}
        pipe.hset(key, mapping=values)
        pipe.expire(key, TTL_SECONDS)
        return ids

    async def resolve(self, conversation_id: str, button_id: str) -> Optional[dict]:
        """{"payload", "title"} of a button issued in this conversation, or None."""
        raw = await self._redis.hget(_key(conversation_id), button_id)
        return json.loads(raw) if raw else None
