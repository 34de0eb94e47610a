"""Issue 20, item 9 (the Rasa side): no national id, phone or one-time code in clear in Redis,
during a case lookup or after it, and none left in the tracker once the case is answered."""

from __future__ import annotations

import re

import pytest
import redis.asyncio as aioredis

pytestmark = pytest.mark.integration

MARYAM = {"code": "7140508213457", "national_id": "0016383230", "phone": "09121000101"}


def persian(digits: str) -> str:
    return digits.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


async def everything_in_redis(url: str) -> str:
    client = aioredis.from_url(url, decode_responses=True)
    try:
        dump = []
        async for key in client.scan_iter("*"):
            kind = await client.type(key)
            if kind == "string":
                dump.append(key + "=" + (await client.get(key) or ""))
            elif kind == "hash":
                dump.append(key + "=" + repr(await client.hgetall(key)))
            elif kind == "stream":
                dump.append(key + "=" + repr(await client.xrange(key)))
            elif kind == "set":
                dump.append(key + "=" + repr(await client.smembers(key)))
            elif kind == "list":
                dump.append(key + "=" + repr(await client.lrange(key, 0, -1)))
            else:
                dump.append(key)
        return "\n".join(dump)
    finally:
        await client.aclose()


def assert_absent(dump: str, *values: str) -> None:
    for value in values:
        found = [line[:300] for line in dump.splitlines() if value in line or persian(value) in line]
        assert not found, f"{value} found in Redis: {found}"


async def test_identifiers_are_never_kept_in_clear(chat, stack):
    await chat.say(f"پرونده {MARYAM['code']}")
    await chat.say("کد ملیم " + persian(MARYAM["national_id"]))
    await chat.say(MARYAM["phone"])
    # Between two turns of the form: the slots are there, but sealed.
    assert_absent(await everything_in_redis(stack.redis_url), MARYAM["national_id"], MARYAM["phone"])
    sms = await stack.last_sms(MARYAM["phone"])
    code = re.search(r"\d{6}", sms).group(0)
    await chat.say(code)
    assert "وضعیت:" in chat.text()
    assert_absent(await everything_in_redis(stack.redis_url), MARYAM["national_id"], MARYAM["phone"], code)
    slots = chat.slots()
    assert slots["national_id"] is None and slots["phone_number"] is None
    # The conversation itself goes on as before: one user event per message, nothing doubled.
    tracker = stack.tracker(chat.conversation_id)
    assert sum(1 for e in tracker["events"] if e["event"] == "user") == 4
