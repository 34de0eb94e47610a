"""actions/unfinished.py against a real Redis: one record per conversation, no identity, its
own expiry counted from when it was kept (a clock set days back stands in for waiting)."""

from __future__ import annotations

import time

from cryptography.fernet import Fernet

from actions.trust import Hasher
from actions.unfinished import Unfinished, UnfinishedStore

KEY = Fernet.generate_key().decode()
DAY = 86400
TTL = 30 * DAY
CONVERSATION = "telegram:5550001"


def store(redis, days_ago: float = 0) -> UnfinishedStore:
    return UnfinishedStore(redis, Hasher(KEY), TTL, clock=lambda: time.time() - days_ago * DAY)


async def test_a_guide_is_kept_without_the_conversation_in_the_clear(redis):
    guide = Unfinished("guide", "passport-new", step=2)
    await store(redis).keep(CONVERSATION, guide)
    assert await store(redis).peek(CONVERSATION) == guide
    keys = await redis.keys("*")
    assert len(keys) == 1 and "5550001" not in keys[0] and "5550001" not in await redis.get(keys[0])
    assert TTL - 5 <= await redis.ttl(keys[0]) <= TTL
    assert await store(redis).peek("telegram:5550002") is None


async def test_a_record_is_offered_once(redis):
    await store(redis).keep(CONVERSATION, Unfinished("form", "case_status_form", slot="national_id"))
    assert await store(redis).take(CONVERSATION) == Unfinished("form", "case_status_form", slot="national_id")
    assert await store(redis).take(CONVERSATION) is None


async def test_the_expiry_counts_from_when_it_was_kept(redis):
    await store(redis, days_ago=29).keep(CONVERSATION, Unfinished("guide", "passport-new", step=2))
    assert DAY - 5 <= await redis.ttl(next(iter(await redis.keys("*")))) <= DAY
    assert await store(redis).peek(CONVERSATION) is not None
    # Kept 31 days ago: gone, and it takes the older record with it.
    await store(redis, days_ago=31).keep(CONVERSATION, Unfinished("guide", "passport-new", step=3))
    assert await store(redis).peek(CONVERSATION) is None and await redis.keys("*") == []


async def test_a_form_ended_does_not_forget_a_guide(redis):
    kept = store(redis)
    await kept.keep(CONVERSATION, Unfinished("guide", "passport-new", step=1))
    await kept.forget(CONVERSATION, "form")
    assert await kept.peek(CONVERSATION) is not None
    await kept.forget(CONVERSATION, "guide")
    assert await kept.peek(CONVERSATION) is None
