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


def _cases_of_key(conversation_id: str) -> str:
    """The cases one conversation follows, so that it can stop following them all."""
    return f"hamyar:subs:of:{conversation_id}"


class SubscriptionStore:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis

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
