"""Issue 20, item 1: a case is shown only to the person who proved they own its national id.

Through the whole stack (gateway, Rasa, action server, sandbox agency, Redis), as an attacker
would try it: verify as oneself, then ask for another person's case.
"""

from __future__ import annotations

import re

import pytest

from connectors.buttons import ButtonRegistry

pytestmark = pytest.mark.integration

MARYAM = {"code": "7140508213457", "national_id": "0016383230", "phone": "09121000101"}
PASSPORT = {"code": "914050821406375", "national_id": "0926064541", "phone": "09151000303"}
PASSPORT_SHOWN = "گذرنامه صادر شد"


async def verify_by_sms(chat, phone: str) -> None:
    sms = await chat.stack.last_sms(phone)
    await chat.say(re.search(r"\d{6}", sms).group(0))


async def verified_as_maryam(chat) -> None:
    await chat.say(f"پرونده {MARYAM['code']}")
    await chat.say(MARYAM["national_id"])
    await chat.say(MARYAM["phone"])
    await verify_by_sms(chat, MARYAM["phone"])
    assert "وضعیت:" in chat.text()


def nothing_personal_left(chat) -> None:
    slots = chat.slots()
    assert slots["national_id"] is None and slots["phone_number"] is None and slots["otp_code"] is None


async def test_another_persons_code_and_id_in_one_message_asks_their_own_phone(chat):
    await verified_as_maryam(chat)
    await chat.say(f"{PASSPORT['code']} کد ملی {PASSPORT['national_id']}")
    assert PASSPORT_SHOWN not in chat.text()
    assert "موبایل" in chat.text()  # the check starts again, for that id
    # Maryam's phone does not belong to that national id.
    await chat.say(MARYAM["phone"])
    assert PASSPORT_SHOWN not in chat.text()
    assert "به نام صاحب این کد ملی ثبت نشده" in chat.text()


async def test_another_persons_id_first_then_the_code(chat):
    await verified_as_maryam(chat)
    await chat.say(f"کد ملی {PASSPORT['national_id']}")
    if "کد پیگیری" in chat.text():
        await chat.say(PASSPORT["code"])
    assert PASSPORT_SHOWN not in chat.text()
    assert "موبایل" in chat.text()


async def test_the_real_owner_of_the_other_id_still_gets_in_with_their_own_code(chat):
    await verified_as_maryam(chat)
    await chat.say(f"{PASSPORT['code']} کد ملی {PASSPORT['national_id']}")
    await chat.say(PASSPORT["phone"])
    assert "پیامکی" in chat.text()
    await verify_by_sms(chat, PASSPORT["phone"])
    assert PASSPORT_SHOWN in chat.text()
    nothing_personal_left(chat)


async def test_a_button_carrying_entities_proves_nothing(chat, stack):
    import redis.asyncio as aioredis

    await verified_as_maryam(chat)
    # A payload with entities, as if a button had been issued with them.
    client = aioredis.from_url(stack.redis_url, decode_responses=True)
    try:
        payload = '/inform{"tracking_code":"%s","national_id":"%s"}' % (PASSPORT["code"], PASSPORT["national_id"])
        [button_id] = await ButtonRegistry(client).register(chat.conversation_id, [{"title": "x", "payload": "/case_status"}])
        await chat.send({"button_id": button_id})
        [button_id] = await ButtonRegistry(client).register(chat.conversation_id, [{"title": "y", "payload": payload}])
    finally:
        await client.aclose()
    await chat.send({"button_id": button_id})
    assert PASSPORT_SHOWN not in chat.text()
    assert "موبایل" in chat.text()


async def test_a_new_session_asks_again(chat, stack):
    import aiohttp

    await verified_as_maryam(chat)
    nothing_personal_left(chat)
    async with aiohttp.ClientSession() as session:
        url = f"{stack.rasa}/conversations/{chat.conversation_id}/execute?token={stack.tokens['RASA_API_TOKEN']}"
        async with session.post(url, json={"name": "action_session_start"}) as response:
            assert response.status == 200
    await chat.say(f"پرونده {MARYAM['code']}")
    assert "کد ملی" in chat.text()
    await chat.say(MARYAM["national_id"])
    assert "موبایل" in chat.text() and "وضعیت:" not in chat.text()


async def test_the_same_citizen_is_not_asked_twice_in_a_session(chat):
    await verified_as_maryam(chat)
    await chat.click("پرونده دیگر")
    await chat.say("7140508050193")  # another case of Maryam's
    assert "وضعیت:" in chat.text()
    nothing_personal_left(chat)
