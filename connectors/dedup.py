"""Messengers retry: each message id is processed once. "processing" and "done" are kept apart
so a crash mid-turn lets the retry through instead of dropping it."""

from __future__ import annotations

import hashlib
from enum import Enum

import redis.asyncio as aioredis

PROCESSING_TTL = 120
DONE_TTL = 24 * 3600


class Claim(Enum):
    NEW = "new"
    IN_FLIGHT = "in_flight"
    DONE = "done"


def _key(conversation_id: str, message_id: str) -> str:
    return "hamyar:dedup:" + hashlib.sha256(f"{conversation_id}\x1f{message_id}".encode()).hexdigest()[:40]


class Deduplicator:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis

    async def claim(self, conversation_id: str, message_id: str) -> Claim:
        key = _key(conversation_id, message_id)
        if await self._redis.set(key, "processing", nx=True, ex=PROCESSING_TTL):
            return Claim.NEW
        return Claim.DONE if await self._redis.get(key) == "done" else Claim.IN_FLIGHT

    async def done(self, conversation_id: str, message_id: str) -> None:
        await self._redis.set(_key(conversation_id, message_id), "done", ex=DONE_TTL)

    async def release(self, conversation_id: str, message_id: str) -> None:
        """The turn failed: let the same message be tried again."""
        await self._redis.delete(_key(conversation_id, message_id))
