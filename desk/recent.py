"""The last turns of every conversation, kept so that an agent who takes it reads what came before
the handoff, not only the message that asked for a person.

Each turn the gateway answers adds the citizen's words and the bot's replies to a capped Redis
list, sealed (a citizen may type their national id), with the tracker's lifetime: a conversation
older than that is one Rasa has forgotten too.
"""

from __future__ import annotations

import json
from typing import Sequence

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

from agencies.sealing import Sealer
from desk.handoff import Turn
from desk.models import Author

_KEY = "hamyar:desk:recent:"
KEPT = 20  # messages, citizen's and bot's together
LIFETIME_SECONDS = 24 * 3600


class RecentTurns:
    def __init__(self, redis: aioredis.Redis, sealer: Sealer, kept: int = KEPT, lifetime_seconds: int = LIFETIME_SECONDS) -> None:
        self._redis = redis
        self._sealer = sealer
        self._kept = kept
        self._lifetime = lifetime_seconds

    async def add(self, conversation_id: str, turns: Sequence[Turn]) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            self.add_in(pipe, conversation_id, turns)
            if len(pipe):
                await pipe.execute()

    def add_in(self, pipe: Pipeline, conversation_id: str, turns: Sequence[Turn]) -> None:
        """``add``, by the caller's transaction (the turn's, in the router)."""
        said = [turn for turn in turns if turn.text.strip()]
        if not said:
            return
        key = _KEY + conversation_id
        entries = [json.dumps({"author": t.author.value, "text": self._sealer.seal(t.text)}) for t in said]
        pipe.rpush(key, *entries)
        pipe.ltrim(key, -self._kept, -1)
        pipe.expire(key, self._lifetime)

    async def take(self, conversation_id: str) -> list[Turn]:
        """The kept turns, oldest first, and forgets them (they now live in the transcript). An
        entry this process cannot open (a retired key) is left out."""
        key = _KEY + conversation_id
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.lrange(key, 0, -1)
            pipe.delete(key)
            entries, _ = await pipe.execute()
        turns = []
        for entry in entries:
            try:
                data = json.loads(entry)
                turns.append(Turn(Author(data["author"]), self._sealer.open(data["text"])))
            except (ValueError, KeyError):
                continue
        return turns
