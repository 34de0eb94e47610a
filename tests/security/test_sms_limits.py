"""Issue 20, item 5: nobody can flood a citizen's phone with one-time codes.

The case form's own validator, with the limits as configured by default, against a real Redis
and the real sandbox (its identity registry and SMS outbox); each "chat" is a fresh requester.
"""

from __future__ import annotations

import aiohttp
import pytest
from cryptography.fernet import Fernet
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import runtime as runtime_module
from actions.case_status import ValidateCaseStatusForm

OWNER = {"national_id": "0016383230", "phone": "09121000101"}


@pytest.fixture
async def limited(redis, redis_server, sandbox, tokens, monkeypatch):
    base, _ = sandbox
    for name, value in {
        **tokens,
        "REDIS_URL": redis_server,
        "HAMYAR_DATA_KEY": Fernet.generate_key().decode(),
        "IDENTITY_URL": f"{base}/identity",
        "SMS_URL": f"{base}/sms",
        "AGENCY_TAMIN_URL": f"{base}/tamin",
        "AGENCY_SABT_URL": f"{base}/sabt",
        "AGENCY_POLICE_URL": f"{base}/police",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("SMS_COOLDOWN_SECONDS", "SMS_PER_PHONE_10MIN", "SMS_PER_PHONE_DAY", "SMS_PER_REQUESTER_HOUR"):
        monkeypatch.delenv(name, raising=False)
    runtime_module.runtime.cache_clear()
    yield base, tokens
    await runtime_module.runtime().redis.aclose()
    runtime_module.runtime.cache_clear()


def at_phone_step(chat: str, phone: str) -> Tracker:
    """A tracker as Rasa sends it when the citizen has just typed their phone in the case form."""
    slots = {
        "tracking_code": "7140508213457",
        "national_id": OWNER["national_id"],
        "phone_number": phone,
        "requested_slot": "phone_number",
    }
    events = [
        {"event": "session_started", "timestamp": 1.0},
        {"event": "user", "text": phone, "parse_data": {}, "metadata": {"user_id": chat}},
        {"event": "slot", "name": "phone_number", "value": phone},
    ]
    latest = {"text": phone, "intent": {"name": "inform"}, "entities": [], "metadata": {"user_id": chat}}
    return Tracker(f"web:{chat}", slots, latest, events, False, None, {"name": "case_status_form"}, "action_listen")


async def codes_sent(base: str, tokens: dict, phone: str) -> int:
    async with aiohttp.ClientSession() as session:
        async with session.get(
            f"{base}/sms/v1/outbox", params={"to": phone}, headers={"Authorization": f"Bearer {tokens['SMS_TOKEN']}"}
        ) as r:
            return len((await r.json())["messages"])


async def skip_cooldown() -> None:
    redis = runtime_module.runtime().redis
    async for key in redis.scan_iter("hamyar:sms:cooldown:*"):
        await redis.delete(key)


async def ask_for_code(chat: str, phone: str = OWNER["phone"]) -> tuple[dict, str]:
    dispatcher = CollectingDispatcher()
    result = await ValidateCaseStatusForm().validate_phone_number(phone, dispatcher, at_phone_step(chat, phone), {})
    return result, " ".join(m.get("text") or "" for m in dispatcher.messages)


async def test_six_fresh_chats_send_at_most_three_codes_to_one_phone(limited):
    base, tokens = limited
    before = await codes_sent(base, tokens, OWNER["phone"])
    answers = []
    for chat in range(6):
        # A minute's pause per phone would stop the second chat anyway: stepped over here to
        # reach the ten-minute cap.
        await skip_cooldown()
        answers.append(await ask_for_code(f"chat{chat}"))
    assert await codes_sent(base, tokens, OWNER["phone"]) - before == 3
    refused = [text for result, text in answers if result.get("form_abort") == "sms_limited"]
    assert len(refused) == 3
    # Told in plain words when to try again.
    assert all("دقیقه دیگر دوباره امتحان کنید" in text for text in refused)


async def test_a_second_code_within_the_cooldown_is_refused(limited):
    base, tokens = limited
    first, _ = await ask_for_code("one")
    second, text = await ask_for_code("two")
    assert first.get("phone_number") == OWNER["phone"]
    assert second.get("form_abort") == "sms_limited" and "۱ دقیقه" in text


async def test_one_requester_cannot_send_codes_to_many_phones(limited):
    """Per requester: five codes an hour, whichever phones (here, the registry's other people)."""
    owners = [
        ("0016383230", "09121000101"),
        ("1283564807", "09131000202"),
        ("0926064541", "09151000303"),
        ("1750890895", "09161000606"),
        ("104812763590", "09301001313"),
    ]
    results = []
    for national_id, phone in owners + owners[:1]:
        tracker = at_phone_step("greedy", phone)
        tracker.slots["national_id"] = national_id
        await skip_cooldown()
        dispatcher = CollectingDispatcher()
        results.append(await ValidateCaseStatusForm().validate_phone_number(phone, dispatcher, tracker, {}))
    assert [r.get("form_abort") for r in results] == [None] * 5 + ["sms_limited"]
