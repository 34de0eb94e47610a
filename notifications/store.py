"""Who wants to hear about what: subscriptions to a case, kept in Redis (conversation ids only)."""

from __future__ import annotations

import json

import redis.asyncio as aioredis

TTL_SECONDS = 90 * 24 * 3600
EVERYONE = "hamyar:subs:conversations"


WATCH_PREFIX = "hamyar:subs:watch:"


def _case_key(agency_id: str, tracking_code: str) -> str:
    return f"hamyar:subs:case:{agency_id}:{tracking_code}"


def _watch_key(agency_id: str, tracking_code: str) -> str:
    return f"{WATCH_PREFIX}{agency_id}:{tracking_code}"


class SubscriptionStore:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis

    async def subscribe(self, conversation_id: str, agency_id: str, tracking_code: str) -> None:
        key = _case_key(agency_id, tracking_code)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.sadd(key, conversation_id)
            pipe.expire(key, TTL_SECONDS)
            pipe.sadd(EVERYONE, conversation_id)
            await pipe.execute()

    async def watch(self, agency_id: str, tracking_code: str, national_id: str, status_text: str) -> None:
        """For an agency that is polled: what asking needs (the owner's id) and what was last seen.
        Kept no longer than the subscription."""
        await self._redis.set(_watch_key(agency_id, tracking_code), json.dumps({"national_id": national_id, "status_text": status_text}), ex=TTL_SECONDS)

    async def watched(self) -> "list[tuple[str, str, dict]]":
        found = []
        async for key in self._redis.scan_iter(WATCH_PREFIX + "*"):
            raw = await self._redis.get(key)
            if raw:
                agency_id, _, code = key[len(WATCH_PREFIX):].partition(":")
                found.append((agency_id, code, json.loads(raw)))
        return found

    async def seen(self, agency_id: str, tracking_code: str, record: dict, status_text: str) -> None:
        key = _watch_key(agency_id, tracking_code)
        ttl = await self._redis.ttl(key)
        await self._redis.set(key, json.dumps({**record, "status_text": status_text}), ex=ttl if ttl > 0 else TTL_SECONDS)

    async def case_subscribers(self, agency_id: str, tracking_code: str) -> set[str]:
        return set(await self._redis.smembers(_case_key(agency_id, tracking_code)))

    async def everyone(self) -> set[str]:
        """Every conversation that asked to be told something, for announcements."""
        return set(await self._redis.smembers(EVERYONE))
