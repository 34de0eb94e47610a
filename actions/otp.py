"""One-time codes that confirm a typed phone number belongs to the person typing it."""

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

    async def issue(self, requester: str, phone: str, national_id: str) -> str:
        """A new code for ``requester`` proving ``phone`` for ``national_id`` (the code is
        bound to both, so it cannot prove another id typed after it was sent)."""
        code = f"{secrets.randbelow(10**6):06d}"
        salt = secrets.token_hex(8)
        key = _key("otp", requester)
        await self._redis.hset(
            key,
            mapping={
                "hash": _hash(code, salt),
                "salt": salt,
                "phone": _hash(phone, salt),
                "national_id": _hash(national_id, salt),
                "wrong": 0,
            },
        )
        await self._redis.expire(key, self._ttl)
        return code

    async def verify(self, requester: str, phone: str, national_id: str, code: str) -> OtpResult:
        key = _key("otp", requester)
        stored = await self._redis.hgetall(key)
        if not stored:
            return OtpResult.EXPIRED
        salt = stored["salt"]
        if (
            hmac.compare_digest(stored["hash"], _hash(code, salt))
            and hmac.compare_digest(stored["phone"], _hash(phone, salt))
            and hmac.compare_digest(stored.get("national_id", ""), _hash(national_id, salt))
        ):
            await self._redis.delete(key)
            return OtpResult.OK
        wrong = await self._redis.hincrby(key, "wrong", 1)
        if wrong >= self._max_wrong:
            await self._redis.delete(key)
            return OtpResult.TOO_MANY
        return OtpResult.WRONG
