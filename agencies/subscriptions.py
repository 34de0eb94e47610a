"""Who wants to hear about what: subscriptions to a case, kept in Redis (conversation ids only).

A case at an agency that is polled is also watched: asking the agency needs its owner's national
id, which is kept sealed (agencies/sealing.py, key ``HAMYAR_DATA_KEY``), never in the clear, for
as long as someone follows the case and the case is still open.
"""

from __future__ import annotations

import json
import logging
from typing import Optional

import redis.asyncio as aioredis

from agencies.sealing import Sealer

logger = logging.getLogger("agencies.subscriptions")
TTL_SECONDS = 90 * 24 * 3600
EVERYONE = "hamyar:subs:conversations"


WATCH_PREFIX = "hamyar:subs:watch:"


def _case_key(agency_id: str, tracking_code: str) -> str:
    return f"hamyar:subs:case:{agency_id}:{tracking_code}"


def _watch_key(agency_id: str, tracking_code: str) -> str:
    return f"{WATCH_PREFIX}{agency_id}:{tracking_code}"


def _cases_of_key(conversation_id: str) -> str:
    """The cases one conversation follows, so that it can stop following them all."""
    return f"hamyar:subs:of:{conversation_id}"


class SubscriptionStore:
    def __init__(self, redis: aioredis.Redis, sealer: Optional[Sealer] = None) -> None:
        self._redis = redis
        self._sealer = sealer

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
            await pipe.execute()

    async def unsubscribe(self, conversation_id: str) -> bool:
        """Stop telling this conversation anything: its cases and announcements. A case nobody
        follows any more is no longer watched, so the owner's national id is forgotten with it.
        False when there was nothing to stop."""
        cases = _cases_of_key(conversation_id)
        followed = await self._redis.smembers(cases)
        was_told = bool(await self._redis.srem(EVERYONE, conversation_id))
        for case in followed:
            agency_id, _, code = case.partition(":")
            key = _case_key(agency_id, code)
            await self._redis.srem(key, conversation_id)
            if not await self._redis.exists(key):  # Redis drops an emptied set
                await self._redis.delete(_watch_key(agency_id, code))
        await self._redis.delete(cases)
        return was_told or bool(followed)

    async def watch(self, agency_id: str, tracking_code: str, national_id: str, status_text: str) -> None:
        """For an agency that is polled: what asking needs (the owner's id, sealed) and what was
        last seen. Kept no longer than the subscription."""
        await self._write(_watch_key(agency_id, tracking_code), national_id, status_text, TTL_SECONDS, existing=False)

    async def watched(self) -> "list[tuple[str, str, dict]]":
        """Every watched case with its record, the national id opened (in memory only)."""
        found = []
        async for key in self._redis.scan_iter(WATCH_PREFIX + "*"):
            raw = await self._redis.get(key)
            if not raw:
                continue
            agency_id, _, code = key[len(WATCH_PREFIX) :].partition(":")
            stored = json.loads(raw)
            if "national_id" in stored:  # kept in the clear before sealing: sealed now
                await self._write(key, stored["national_id"], stored.get("status_text", ""), await self._ttl(key))
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
        key = _watch_key(agency_id, tracking_code)
        await self._write(key, record["national_id"], status_text, await self._ttl(key))

    async def unwatch(self, agency_id: str, tracking_code: str) -> None:
        """The case is closed: nothing more to ask, so its owner's national id is forgotten."""
        await self._redis.delete(_watch_key(agency_id, tracking_code))

    async def follows(self, conversation_id: str, agency_id: str, tracking_code: str) -> bool:
        return bool(await self._redis.sismember(_case_key(agency_id, tracking_code), conversation_id))

    async def case_subscribers(self, agency_id: str, tracking_code: str) -> set[str]:
        return set(await self._redis.smembers(_case_key(agency_id, tracking_code)))

    async def everyone(self) -> set[str]:
        """Every conversation that asked to be told something, for announcements."""
        return set(await self._redis.smembers(EVERYONE))

    async def _ttl(self, key: str) -> int:
        ttl = await self._redis.ttl(key)
        return ttl if ttl > 0 else TTL_SECONDS

    async def _write(self, key: str, national_id: str, status_text: str, ttl: int, existing: bool = True) -> None:
        """``existing``: only over a record still there, so a case unfollowed meanwhile stays gone."""
        record = {"sealed_national_id": self._sealing().seal(national_id), "status_text": status_text}
        await self._redis.set(key, json.dumps(record), ex=ttl, xx=existing)
