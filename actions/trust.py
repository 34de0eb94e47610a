"""Who may see what: the identity a person proved, failed checks, and limits on codes sent.

A verified identity is kept in Redis, never in a slot: any message can fill a slot (a national
id typed mid-form, a button carrying entities), so a slot cannot say whose case may be shown.
It is bound to the requester (the person inside the conversation: a group has many) and to the
session, so a new session or «خداحافظ» asks again. National ids and phones appear in keys and
values only as keyed hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import Optional

import redis.asyncio as aioredis
from prometheus_client import Counter
from rasa_sdk import Tracker

from agencies.sealing import Sealer

logger = logging.getLogger("actions.trust")

TARGETED = Counter(
    "hamyar_identity_targeted_total",
    "Failed identity checks of one national id coming from several requesters at once",
)


async def count_in_window(redis: aioredis.Redis, key: str, window_seconds: int) -> int:
    """Count one more under ``key``, kept for ``window_seconds`` from the first: the increment and
    the expiry go together, so a count can never outlive its window."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(key).expire(key, window_seconds, nx=True)
        count, _ = await pipe.execute()
    return int(count)


class Hasher:
    """Keyed hashes of personal identifiers, so Redis never holds one in the clear."""

    def __init__(self, key: str) -> None:
        self._key = hashlib.sha256(b"hamyar-hash\x1f" + key.encode()).digest()

    def __call__(self, kind: str, value: str) -> str:
        return hmac.new(self._key, f"{kind}\x1f{value}".encode(), hashlib.sha256).hexdigest()[:40]


def requester_of(tracker: Tracker) -> str:
    """The person asking: the conversation and, inside it, the messenger user (set by the
    gateway in the message metadata; in a private chat or the web chat they are one)."""
    metadata = tracker.latest_message.get("metadata") or {}
    user = str(metadata.get("user_id") or "")
    return f"{tracker.sender_id}\x1f{user}"


def session_of(tracker: Tracker) -> str:
    """The start of the current session: a new session never inherits a verified identity."""
    for event in reversed(tracker.events):
        if event.get("event") == "session_started":
            return str(event.get("timestamp"))
    return "-"


def in_group(tracker: Tracker) -> bool:
    metadata = tracker.latest_message.get("metadata") or {}
    return metadata.get("chat_type") == "group"


@dataclass(frozen=True)
class Proof:
    national_id: str
    phone: str


class VerifiedIdentities:
    """The national id a requester proved in this session (by SMS code or a vouched contact)."""

    def __init__(self, redis: aioredis.Redis, hasher: Hasher, sealer: Sealer, ttl_seconds: int) -> None:
        self._redis = redis
        self._hash = hasher
        self._sealer = sealer
        self._ttl = ttl_seconds

    def _key(self, tracker: Tracker) -> str:
        return "hamyar:verified:" + self._hash("requester", requester_of(tracker) + "\x1f" + session_of(tracker))

    async def prove(self, tracker: Tracker, national_id: str, phone: str) -> None:
        sealed = self._sealer.seal(json.dumps({"national_id": national_id, "phone": phone}))
        record = {"hash": self._hash("national_id", national_id), "sealed": sealed}
        await self._redis.set(self._key(tracker), json.dumps(record), ex=self._ttl)

    async def _record(self, tracker: Tracker) -> Optional[dict]:
        # Read and kept alive in one round trip: an hour of quiet forgets it, as the session does.
        stored = await self._redis.getex(self._key(tracker), ex=self._ttl)
        return json.loads(stored) if stored is not None else None

    async def owns(self, tracker: Tracker, national_id: Optional[str]) -> bool:
        """True only when ``national_id`` is the one this requester proved in this session."""
        if not national_id:
            return False
        record = await self._record(tracker)
        return record is not None and hmac.compare_digest(record["hash"], self._hash("national_id", national_id))

    async def proof(self, tracker: Tracker) -> Optional[Proof]:
        """The proved national id and phone themselves, for what is done later in the citizen's
        name (following a case, filing a complaint): kept sealed, never in a slot."""
        record = await self._record(tracker)
        return Proof(**json.loads(self._sealer.open(record["sealed"]))) if record else None

    async def forget(self, tracker: Tracker) -> None:
        await self._redis.delete(self._key(tracker))


class IdentityFailures:
    """Failed checks lock the requester who made them, not the national id they aimed at, so a
    stranger cannot lock the owner out; one id failed from many requesters raises an alert."""

    def __init__(self, redis: aioredis.Redis, hasher: Hasher, limit: int, window_seconds: int, alert_requesters: int) -> None:
        self._redis = redis
        self._hash = hasher
        self._limit = limit
        self._window = window_seconds
        self._alert = alert_requesters

    def _requester_key(self, tracker: Tracker) -> str:
        return "hamyar:idfail:requester:" + self._hash("requester", requester_of(tracker))

    async def locked(self, tracker: Tracker) -> bool:
        count = await self._redis.get(self._requester_key(tracker))
        return int(count or 0) >= self._limit

    async def record(self, tracker: Tracker, national_id: str) -> bool:
        """Count one failure; True when this requester is now locked."""
        count = await count_in_window(self._redis, self._requester_key(tracker), self._window)
        if national_id:
            await self._watch_target(tracker, national_id)
        return count >= self._limit

    async def _watch_target(self, tracker: Tracker, national_id: str) -> None:
        target = self._hash("national_id", national_id)
        key = "hamyar:idfail:target:" + target
        added = await self._redis.sadd(key, self._hash("requester", requester_of(tracker)))
        await self._redis.expire(key, self._window)
        if added and await self._redis.scard(key) == self._alert:
            # Logged once when the threshold is crossed; the id appears only as a keyed hash.
            logger.warning("identity targeted target=%s requesters=%d window=%ds", target[:12], self._alert, self._window)
            TARGETED.inc()

    async def clear(self, tracker: Tracker) -> None:
        await self._redis.delete(self._requester_key(tracker))


@dataclass(frozen=True)
class SmsRule:
    """At most ``limit`` codes per ``window`` seconds for one subject (a phone or a requester)."""

    subject: str
    limit: int
    window: int


class SmsLimits:
    """Limits on one-time codes, so nobody can flood a citizen's phone with them."""

    def __init__(self, redis: aioredis.Redis, hasher: Hasher, cooldown_seconds: int, rules: tuple[SmsRule, ...]) -> None:
        self._redis = redis
        self._hash = hasher
        self._cooldown = cooldown_seconds
        self._rules = rules

    async def acquire(self, tracker: Tracker, phone: str) -> int:
        """0 when a code may be sent now (and it is counted), else the seconds to wait."""
        subjects = {"phone": self._hash("phone", phone), "requester": self._hash("requester", requester_of(tracker))}
        cooldown = f"hamyar:sms:cooldown:{subjects['phone']}"
        wait = await self._redis.pttl(cooldown)
        if wait > 0:
            return max(1, -(-wait // 1000))
        now = int(time.time())
        keys = []
        for rule in self._rules:
            bucket = now // rule.window
            key = f"hamyar:sms:{rule.subject}:{rule.window}:{bucket}:{subjects[rule.subject]}"
            count = int(await self._redis.get(key) or 0)
            if count >= rule.limit:
                return (bucket + 1) * rule.window - now
            keys.append((key, rule.window))
        async with self._redis.pipeline(transaction=True) as pipe:
            for key, window in keys:
                pipe.incr(key).expire(key, window)
            if self._cooldown > 0:
                pipe.set(cooldown, 1, ex=self._cooldown)
            await pipe.execute()
        return 0


class RequesterQuota:
    """At most ``limit`` of one kind of request (complaints, say) per requester per window."""

    def __init__(self, redis: aioredis.Redis, hasher: Hasher, kind: str, limit: int, window_seconds: int) -> None:
        self._redis = redis
        self._hash = hasher
        self._kind = kind
        self._limit = limit
        self._window = window_seconds

    async def take(self, tracker: Tracker) -> bool:
        """Count one request; False when the requester is over the limit (it is not counted)."""
        key = f"hamyar:quota:{self._kind}:" + self._hash("requester", requester_of(tracker))
        if await count_in_window(self._redis, key, self._window) > self._limit:
            await self._redis.decr(key)
            return False
        return True
