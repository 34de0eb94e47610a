"""Who wants to hear about what: subscriptions to a case, kept in Redis (conversation ids only)."""

from __future__ import annotations

import redis.asyncio as aioredis

TTL_SECONDS = 90 * 24 * 3600
EVERYONE = "hamyar:subs:conversations"


def _case_key(agency_id: str, tracking_code: str) -> str:
    return f"hamyar:subs:case:{agency_id}:{tracking_code}"


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

    async def case_subscribers(self, agency_id: str, tracking_code: str) -> set[str]:
        return set(await self._redis.smembers(_case_key(agency_id, tracking_code)))

    async def everyone(self) -> set[str]:
        """Every conversation that asked to be told something, for announcements."""
        return set(await self._redis.smembers(EVERYONE))
