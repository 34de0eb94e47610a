"""Button ids in Redis: a channel shows an id, the gateway alone knows the payload behind it.

Keeping the mapping in Redis (not process memory) lets any gateway process answer a click, and
keeps callback data short (Telegram allows 64 bytes).
"""

from __future__ import annotations

import secrets
from typing import Optional

import redis.asyncio as aioredis

TTL_SECONDS = 24 * 3600


def _key(conversation_id: str) -> str:
    return f"hamyar:buttons:{conversation_id}"


class ButtonRegistry:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis

    async def register(self, conversation_id: str, payloads: list[str]) -> list[str]:
        if not payloads:
            return []
        ids = [secrets.token_urlsafe(6) for _ in payloads]
        key = _key(conversation_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=dict(zip(ids, payloads)))
            pipe.expire(key, TTL_SECONDS)
            await pipe.execute()
        return ids

    async def resolve(self, conversation_id: str, button_id: str) -> Optional[str]:
        return await self._redis.hget(_key(conversation_id), button_id)
