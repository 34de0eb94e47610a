"""What a conversation left unfinished: a guide and its step, or a form and the slot it asked.

Kept so that a citizen who comes back days later (the tracker is gone after a day) can be
offered to go on (actions/resume.py). It holds no identity, ever: an article id and a step
number, or a form's name and slot name. The key is a keyed hash of the conversation id, and the
record expires on its own (``RESUME_TTL_SECONDS``, 30 days) counted from when it was kept.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import Callable, Literal, Optional

import redis.asyncio as aioredis

from actions.trust import Hasher

Kind = Literal["guide", "form"]


@dataclass(frozen=True)
class Unfinished:
    """A guide (``name`` its article id, ``step`` from 0) or a form (``name``, ``slot`` it asked)."""

    kind: Kind
    name: str
    step: int = 0
    slot: str = ""


class UnfinishedStore:
    """One record per conversation; ``clock`` (seconds since the epoch) is injectable so that a
    test can keep a record as if days ago."""

    def __init__(self, redis: aioredis.Redis, hasher: Hasher, ttl_seconds: int, clock: Callable[[], float] = time.time) -> None:
        self._redis = redis
        self._hash = hasher
        self._ttl = ttl_seconds
        self._clock = clock

    def _key(self, conversation_id: str) -> str:
        return "hamyar:unfinished:" + self._hash("conversation", conversation_id)

    async def keep(self, conversation_id: str, unfinished: Unfinished) -> None:
        # Expires at a moment, not after a duration: a record kept (as if) 31 days ago is gone.
        expires = int(self._clock()) + self._ttl
        if expires <= int(time.time()):
            await self._redis.delete(self._key(conversation_id))
            return
        await self._redis.set(self._key(conversation_id), json.dumps(asdict(unfinished)), exat=expires)

    async def peek(self, conversation_id: str) -> Optional[Unfinished]:
        stored = await self._redis.get(self._key(conversation_id))
        return Unfinished(**json.loads(stored)) if stored else None

    async def take(self, conversation_id: str) -> Optional[Unfinished]:
        """The record, forgotten as it is read: it is offered once."""
        stored = await self._redis.getdel(self._key(conversation_id))
        return Unfinished(**json.loads(stored)) if stored else None

    async def forget(self, conversation_id: str, kind: Optional[Kind] = None) -> None:
        """Forget the record; with ``kind``, only a record of that kind (a form ended does not
        forget a guide left open before it)."""
        key = self._key(conversation_id)
        if kind is not None:
            stored = await self.peek(conversation_id)
            if stored is None or stored.kind != kind:
                return
        await self._redis.delete(key)
