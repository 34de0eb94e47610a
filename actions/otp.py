"""One-time codes that confirm a typed phone number, and limits on failed identity checks."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from enum import Enum

import redis.asyncio as aioredis


class OtpResult(Enum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"
    TOO_MANY = "too_many"


def _key(kind: str, value: str) -> str:
    # Keys never hold a phone, national id or conversation id in the clear.
    return f"hamyar:{kind}:" + hashlib.sha256(value.encode()).hexdigest()[:32]


def _hash(code: str, salt: str) -> str:
    return hashlib.sha256((salt + code).encode()).hexdigest()


class OtpStore:
    def __init__(self, redis: aioredis.Redis, ttl_seconds: int, max_wrong: int) -> None:
        self._redis = redis
        self._ttl = ttl_seconds
        self._max_wrong = max_wrong

    async def issue(self, conversation_id: str, phone: str) -> str:
        code = f"{secrets.randbelow(10**6):06d}"
        salt = secrets.token_hex(8)
        key = _key("otp", conversation_id)
        await self._redis.hset(key, mapping={"hash": _hash(code, salt), "salt": salt, "phone": _hash(phone, salt), "wrong": 0})
        await self._redis.expire(key, self._ttl)
        return code

    async def verify(self, conversation_id: str, phone: str, code: str) -> OtpResult:
        key = _key("otp", conversation_id)
        stored = await self._redis.hgetall(key)
        if not stored:
            return OtpResult.EXPIRED
        salt = stored["salt"]
        if hmac.compare_digest(stored["hash"], _hash(code, salt)) and hmac.compare_digest(stored["phone"], _hash(phone, salt)):
            await self._redis.delete(key)
            return OtpResult.OK
        wrong = await self._redis.hincrby(key, "wrong", 1)
        if wrong >= self._max_wrong:
            await self._redis.delete(key)
            return OtpResult.TOO_MANY
        return OtpResult.WRONG


class IdentityFailures:
    """Counts failed checks per national id across conversations, so a new chat does not reset it."""

    def __init__(self, redis: aioredis.Redis, limit: int, window_seconds: int) -> None:
        self._redis = redis
        self._limit = limit
        self._window = window_seconds

    async def locked(self, national_id: str) -> bool:
        count = await self._redis.get(_key("idfail", national_id))
        return int(count or 0) >= self._limit

    async def record(self, national_id: str) -> bool:
        """Count one failure; True when this national id is now locked."""
        key = _key("idfail", national_id)
        count = await self._redis.incr(key)
        if count == 1:
            await self._redis.expire(key, self._window)
        return count >= self._limit

    async def clear(self, national_id: str) -> None:
        await self._redis.delete(_key("idfail", national_id))
