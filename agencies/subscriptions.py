"""Who wants to hear about what: subscriptions to a case, kept in Redis (conversation ids only).

A case at an agency that is polled is also watched: asking the agency needs its owner's national
id, which is kept sealed (agencies/sealing.py, key ``HAMYAR_DATA_KEY``), never in the clear, for
as long as someone follows the case and the case is still open.

Redis is the hot copy; the database is the durable one. Each change is also appended, in the same
transaction, to a list of changes (``CHANGES``) that the gateway writes to the database
(desk/subscriptions.py): so the action server, which makes most changes, needs no database. When
Redis has lost it all (``LOADED`` is gone), the gateway's store puts the database's copy back
(``restore``) before it reads.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Awaitable, Callable, Iterable, Optional

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

from agencies.sealing import Sealer

logger = logging.getLogger("agencies.subscriptions")
TTL_SECONDS = 90 * 24 * 3600
EVERYONE = "hamyar:subs:conversations"


WATCH_PREFIX = "hamyar:subs:watch:"
# Changes not yet in the database, oldest first (JSON, see ``_change``). Capped and expiring: a
# Hamyar run without a database key (nobody writes them down) must not grow it for ever.
CHANGES = "hamyar:subs:changes"
MAX_CHANGES = 100_000
CHANGES_TTL = 7 * 24 * 3600
# Set once Redis holds the database's copy; gone when Redis lost its data.
LOADED = "hamyar:subs:loaded"


@dataclass(frozen=True)
class Followed:
    """A conversation following a case, as the database kept it, for ``load``."""

    conversation_id: str
    agency_id: str
    tracking_code: str
    seconds_left: int


@dataclass(frozen=True)
class Watched:
    """A watched case, its owner's national id still sealed, for ``load``."""

    agency_id: str
    tracking_code: str
    sealed_national_id: str
    status_text: str
    seconds_left: int


def _case_key(agency_id: str, tracking_code: str) -> str:
    return f"hamyar:subs:case:{agency_id}:{tracking_code}"


def _watch_key(agency_id: str, tracking_code: str) -> str:
    return f"{WATCH_PREFIX}{agency_id}:{tracking_code}"


def _cases_of_key(conversation_id: str) -> str:
    """The cases one conversation follows, so that it can stop following them all."""
    return f"hamyar:subs:of:{conversation_id}"


def _change(op: str, **values: object) -> str:
    return json.dumps({"op": op, **values}, ensure_ascii=False)


class SubscriptionStore:
    def __init__(
        self,
        redis: aioredis.Redis,
        sealer: Optional[Sealer] = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._sealer = sealer
        self._clock = clock
        # Puts the durable copy back when Redis lost it; given by the gateway, which has the database.
        self.restore: Optional[Callable[[], Awaitable[object]]] = None

    def _sealing(self) -> Sealer:
        # Read when first needed: following a case at an agency that calls back needs no key.
        if self._sealer is None:
            self._sealer = Sealer.from_env()
        return self._sealer

    async def subscribe(self, conversation_id: str, agency_id: str, tracking_code: str) -> None:
        key, cases = _case_key(agency_id, tracking_code), _cases_of_key(conversation_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.sadd(key, conversation_id)
            pipe.expire(key, TTL_SECONDS)
            pipe.sadd(cases, f"{agency_id}:{tracking_code}")
            pipe.expire(cases, TTL_SECONDS)
            pipe.sadd(EVERYONE, conversation_id)
            self._record(
                pipe, _change("subscribe", conversation=conversation_id, agency=agency_id, code=tracking_code, at=self._clock())
            )
            await pipe.execute()

    async def unsubscribe(self, conversation_id: str) -> bool:
        """Stop telling this conversation anything: its cases and announcements. A case nobody
        follows any more is no longer watched, so the owner's national id is forgotten with it.
        False when there was nothing to stop."""
        cases = _cases_of_key(conversation_id)
        followed = await self._redis.smembers(cases)
        was_told = bool(await self._redis.srem(EVERYONE, conversation_id))
        # Recorded even when Redis knew of nothing: the database may still hold what Redis lost.
        changes = [_change("unsubscribe", conversation=conversation_id, at=self._clock())]
        for case in followed:
            agency_id, _, code = case.partition(":")
            key = _case_key(agency_id, code)
            await self._redis.srem(key, conversation_id)
            if not await self._redis.exists(key):  # Redis drops an emptied set
                await self._redis.delete(_watch_key(agency_id, code))
                changes.append(_change("unwatch", agency=agency_id, code=code))
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(cases)
            self._record(pipe, *changes)
            await pipe.execute()
        return was_told or bool(followed)

    async def watch(self, agency_id: str, tracking_code: str, national_id: str, status_text: str) -> None:
        """For an agency that is polled: what asking needs (the owner's id, sealed) and what was
        last seen. Kept no longer than the subscription."""
        await self._write(agency_id, tracking_code, national_id, status_text, TTL_SECONDS, existing=False)

    async def watched(self) -> "list[tuple[str, str, dict]]":
        """Every watched case with its record, the national id opened (in memory only)."""
        await self._hot()
        found = []
        async for key in self._redis.scan_iter(WATCH_PREFIX + "*"):
            raw = await self._redis.get(key)
            if not raw:
                continue
            agency_id, _, code = key[len(WATCH_PREFIX) :].partition(":")
            stored = json.loads(raw)
            if "national_id" in stored:  # kept in the clear before sealing: sealed now
                await self._write(agency_id, code, stored["national_id"], stored.get("status_text", ""), await self._ttl(key))
                found.append((agency_id, code, stored))
                continue
            try:
                national_id = self._sealing().open(stored["sealed_national_id"])
            except ValueError:  # sealed under a key this process does not have
                logger.error("watched case unreadable agency=%s: sealed with a key no longer configured", agency_id)
                continue
            found.append((agency_id, code, {"national_id": national_id, "status_text": stored.get("status_text", "")}))
        return found

    async def seen(self, agency_id: str, tracking_code: str, record: dict, status_text: str) -> None:
        """The case now stands at ``status_text`` (sealed again: under the newest key)."""
        ttl = await self._ttl(_watch_key(agency_id, tracking_code))
        await self._write(agency_id, tracking_code, record["national_id"], status_text, ttl)

    async def unwatch(self, agency_id: str, tracking_code: str) -> None:
        """The case is closed: nothing more to ask, so its owner's national id is forgotten."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(_watch_key(agency_id, tracking_code))
            self._record(pipe, _change("unwatch", agency=agency_id, code=tracking_code))
            await pipe.execute()

    async def follows(self, conversation_id: str, agency_id: str, tracking_code: str) -> bool:
        await self._hot()
        return bool(await self._redis.sismember(_case_key(agency_id, tracking_code), conversation_id))

    async def case_subscribers(self, agency_id: str, tracking_code: str) -> set[str]:
        await self._hot()
        return set(await self._redis.smembers(_case_key(agency_id, tracking_code)))

    async def everyone(self) -> set[str]:
        """Every conversation that asked to be told something, for announcements."""
        await self._hot()
        return set(await self._redis.smembers(EVERYONE))

    async def loaded(self) -> bool:
        """Whether Redis holds the durable copy (False after Redis lost its data)."""
        return bool(await self._redis.exists(LOADED))

    async def load(self, followed: Iterable[Followed], audience: Iterable[str], watched: Iterable[Watched]) -> None:
        """Put back what the database kept, each for what is left of its lifetime, and mark Redis
        as holding it. Recorded as no change: it is the database's copy already."""
        case_ttl: dict[str, int] = {}
        async with self._redis.pipeline(transaction=True) as pipe:
            for item in followed:
                if item.seconds_left <= 0:
                    continue
                key, cases = _case_key(item.agency_id, item.tracking_code), _cases_of_key(item.conversation_id)
                pipe.sadd(key, item.conversation_id)
                pipe.sadd(cases, f"{item.agency_id}:{item.tracking_code}")
                for name in (key, cases):  # a set lasts as long as its longest-lived member
                    case_ttl[name] = max(case_ttl.get(name, 0), item.seconds_left)
            for name, ttl in case_ttl.items():
                pipe.expire(name, ttl)
            members = list(audience)
            if members:
                pipe.sadd(EVERYONE, *members)
            for case in watched:
                if case.seconds_left > 0:
                    record = {"sealed_national_id": case.sealed_national_id, "status_text": case.status_text}
                    pipe.set(_watch_key(case.agency_id, case.tracking_code), json.dumps(record), ex=case.seconds_left)
            pipe.set(LOADED, "1")
            await pipe.execute()

    async def record_held(self) -> int:
        """Records what Redis holds as changes, to be written down; how many. For a Redis without
        ``LOADED``: after an upgrade its subscriptions were never written down (after a loss it
        holds only what was recorded already, and writing that again changes nothing)."""
        now, changes = self._clock(), []
        async for cases_key in self._redis.scan_iter(_cases_of_key("*")):
            conversation = cases_key[len(_cases_of_key("")) :]
            for case in await self._redis.smembers(cases_key):
                agency_id, _, code = case.partition(":")
                left = min(await self._ttl(cases_key), await self._ttl(_case_key(agency_id, code)))
                at = now - (TTL_SECONDS - left)
                changes.append(_change("subscribe", conversation=conversation, agency=agency_id, code=code, at=at))
        async for key in self._redis.scan_iter(WATCH_PREFIX + "*"):
            stored = json.loads(await self._redis.get(key) or "{}")
            if "sealed_national_id" in stored:  # one kept in the clear is sealed first by ``watched``
                agency_id, _, code = key[len(WATCH_PREFIX) :].partition(":")
                at = now - (TTL_SECONDS - await self._ttl(key))
                changes.append(_change("watch", agency=agency_id, code=code, at=at, **stored))
        if changes:
            async with self._redis.pipeline(transaction=True) as pipe:
                self._record(pipe, *changes)
                await pipe.execute()
        return len(changes)

    async def changes(self, count: int) -> list[dict]:
        """The oldest ``count`` changes not yet written to the database."""
        return [json.loads(raw) for raw in await self._redis.lrange(CHANGES, 0, count - 1)]

    async def written(self, count: int) -> None:
        """The oldest ``count`` changes are in the database: drop them (one writer at a time)."""
        await self._redis.ltrim(CHANGES, count, -1)

    async def _hot(self) -> None:
        if self.restore is not None and not await self.loaded():
            await self.restore()

    @staticmethod
    def _record(pipe: Pipeline, *changes: str) -> None:
        pipe.rpush(CHANGES, *changes)
        pipe.ltrim(CHANGES, -MAX_CHANGES, -1)
        pipe.expire(CHANGES, CHANGES_TTL)

    async def _ttl(self, key: str) -> int:
        ttl = await self._redis.ttl(key)
        return ttl if ttl > 0 else TTL_SECONDS

    async def _write(
        self, agency_id: str, code: str, national_id: str, status_text: str, ttl: int, existing: bool = True
    ) -> None:
        """``existing``: only over a record still there, so a case unfollowed meanwhile stays gone."""
        record = {"sealed_national_id": self._sealing().seal(national_id), "status_text": status_text}
        # The database's copy: "watch" starts a lifetime, "seen" keeps the one it has.
        change = _change("seen" if existing else "watch", agency=agency_id, code=code, at=self._clock(), **record)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(_watch_key(agency_id, code), json.dumps(record), ex=ttl, xx=existing)
            self._record(pipe, change)
            await pipe.execute()
