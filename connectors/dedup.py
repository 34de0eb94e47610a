"""Messengers retry: each message id is processed once. "processing" and "done" are kept apart
so a crash mid-turn lets the retry through instead of dropping it; a done message keeps its
replies, so a retry can be answered the same without being processed again."""

from __future__ import annotations

import hashlib
from enum import Enum
from typing import Optional

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

from connectors.lanes import Mark

PROCESSING_TTL = 120
_DONE = "done:"
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

    def pipeline(self) -> Pipeline:
        """A transaction on the same Redis."""
        return self._redis.pipeline(transaction=True)

    async def claim(self, conversation_id: str, message_id: str) -> Claim:
        mark = self.mark(conversation_id, message_id)
        if await self._redis.set(mark.key, mark.value, nx=True, ex=mark.ttl_seconds):
            return Claim.NEW
        return self.claim_from(False, await self._redis.get(mark.key))

    @staticmethod
    def mark(conversation_id: str, message_id: str) -> Mark:
        """The claim as a key to set, for a caller that sets it with other commands (the lane's)."""
        return Mark(_key(conversation_id, message_id), "processing", PROCESSING_TTL)

    @staticmethod
    def claim_from(marked: bool, found: Optional[str]) -> Claim:
        """The claim a mark's outcome means: set by this turn, or else what its key held."""
        if marked:
            return Claim.NEW
        return Claim.DONE if (found or "").startswith(_DONE) else Claim.IN_FLIGHT

    def done_in(self, pipe: Pipeline, conversation_id: str, message_id: str, result: str = "") -> None:
        """Mark the message handled, keeping its replies, in the caller's transaction (with the
        replies it queues)."""
        pipe.set(_key(conversation_id, message_id), _DONE + result, ex=DONE_TTL)

    async def result(self, conversation_id: str, message_id: str) -> Optional[str]:
        """What a handled message was answered with, or None if it is not done."""
        value = await self._redis.get(_key(conversation_id, message_id))
        return value[len(_DONE) :] if value and value.startswith(_DONE) else None

    async def release(self, conversation_id: str, message_id: str) -> None:
        """The turn failed: let the same message be tried again."""
        await self._redis.delete(_key(conversation_id, message_id))
