"""actions/trust.py against a real Redis: proved identities, failed checks, limits on codes."""

from __future__ import annotations

import logging

from cryptography.fernet import Fernet

from actions.trust import (
    Hasher,
    IdentityFailures,
    RequesterQuota,
    SmsLimits,
    SmsRule,
    VerifiedIdentities,
    in_group,
    requester_of,
    session_of,
)
from agencies.sealing import Sealer
from tests.actions.kit import tracker

KEY = Fernet.generate_key().decode()
NATIONAL_ID, PHONE = "0016383230", "09121000101"


def identities(redis) -> VerifiedIdentities:
    return VerifiedIdentities(redis, Hasher(KEY), Sealer(KEY), ttl_seconds=60)


def test_the_requester_is_the_person_inside_the_conversation():
    assert requester_of(tracker(metadata={"user_id": "7"}, sender="telegram:-100")) == "telegram:-100\x1f7"
    assert session_of(tracker()) != "-" and session_of(tracker(earlier=())) == session_of(tracker())
    assert in_group(tracker(metadata={"chat_type": "group"})) and not in_group(tracker())


def test_hashes_are_keyed_and_kinds_apart():
    assert Hasher("a")("phone", PHONE) != Hasher("b")("phone", PHONE)
    assert Hasher("a")("phone", PHONE) != Hasher("a")("national_id", PHONE)


async def test_a_proof_belongs_to_its_requester_and_session_and_is_kept_sealed(redis):
    verified = identities(redis)
    asker = tracker(metadata={"user_id": "1"})
    await verified.prove(asker, NATIONAL_ID, PHONE)
    assert await verified.owns(asker, NATIONAL_ID) and not await verified.owns(asker, "1283564807")
    assert (await verified.proof(asker)).phone == PHONE
    assert not await verified.owns(tracker(metadata={"user_id": "2"}), NATIONAL_ID)  # another member of the chat
    later = tracker(metadata={"user_id": "1"}, earlier=({"event": "session_started", "timestamp": 2e9},))
    assert not await verified.owns(later, NATIONAL_ID)
    stored = "".join([*(await redis.keys("*")), *[await redis.get(k) for k in await redis.keys("*")]])
    assert NATIONAL_ID not in stored and PHONE not in stored
    await verified.forget(asker)
    assert await verified.proof(asker) is None


async def test_reading_a_proof_keeps_it_alive_in_one_round_trip(redis, redis_sent):
    verified = identities(redis)
    asker = tracker(metadata={"user_id": "1"})
    await verified.prove(asker, NATIONAL_ID, PHONE)
    (key,) = await redis.keys("hamyar:verified:*")
    await redis.expire(key, 5)  # as if most of its hour of quiet had passed
    redis_sent.clear()
    assert await verified.owns(asker, NATIONAL_ID)
    assert redis_sent == ["GETEX"]
    assert 55 <= await redis.ttl(key) <= 60
    redis_sent.clear()
    assert await verified.proof(tracker(metadata={"user_id": "2"})) is None  # nothing kept for another
    assert redis_sent == ["GETEX"] and await redis.keys("hamyar:verified:*") == [key]


async def test_failures_lock_the_requester_and_many_requesters_raise_an_alert(redis, caplog):
    failures = IdentityFailures(redis, Hasher(KEY), limit=2, window_seconds=60, alert_requesters=3)
    first = tracker(metadata={"user_id": "1"})
    assert not await failures.record(first, NATIONAL_ID)
    assert await failures.record(first, NATIONAL_ID) and await failures.locked(first)
    assert not await failures.locked(tracker(metadata={"user_id": "2"}))  # the owner is not locked out
    with caplog.at_level(logging.WARNING, logger="actions.trust"):
        for user in ("2", "3"):
            await failures.record(tracker(metadata={"user_id": user}), NATIONAL_ID)
    assert "identity targeted" in caplog.text and NATIONAL_ID not in caplog.text
    await failures.clear(first)
    assert not await failures.locked(first)


async def test_codes_wait_for_the_cooldown_and_stop_at_a_rule(redis):
    limits = SmsLimits(redis, Hasher(KEY), cooldown_seconds=30, rules=(SmsRule("phone", 2, 600),))
    asker = tracker()
    assert await limits.acquire(asker, PHONE) == 0
    assert 0 < await limits.acquire(asker, PHONE) <= 30
    await redis.delete(*await redis.keys("hamyar:sms:cooldown:*"))
    assert await limits.acquire(asker, PHONE) == 0
    await redis.delete(*await redis.keys("hamyar:sms:cooldown:*"))
    assert 0 < await limits.acquire(asker, PHONE) <= 600


async def test_a_quota_refuses_past_its_limit_without_counting_the_refusal(redis):
    quota = RequesterQuota(redis, Hasher(KEY), "complaint", limit=2, window_seconds=60)
    asker = tracker()
    assert [await quota.take(asker) for _ in range(4)] == [True, True, False, False]
    assert int(await redis.get((await redis.keys("hamyar:quota:*"))[0])) == 2
