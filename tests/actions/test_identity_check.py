"""actions/identity_check.py: national id, a phone the identity service ties to it, an SMS code.

Through the case form's validator, against the real sandbox's identity registry and SMS outbox.
"""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.case_status import ValidateCaseStatusForm
from actions.identity_check import LOCKED, UNAVAILABLE, say_why_stopped, slot_before_turn
from actions.runtime import runtime
from tests.actions.kit import said, tracker

OWNER = {"national_id": "0016383230", "phone": "09121000101"}
STRANGER_PHONE = "09161000606"


def at_step(typed: str, slot: str, metadata: dict | None = None, **slots) -> object:
    return tracker(
        typed,
        slots={"national_id": OWNER["national_id"], **slots, slot: typed, "requested_slot": slot},
        metadata=metadata,
        form="case_status_form",
    )


async def validate(slot: str, typed: str, metadata: dict | None = None, **slots) -> tuple[dict, list[str]]:
    dispatcher = CollectingDispatcher()
    validator = getattr(ValidateCaseStatusForm(), f"validate_{slot}")
    result = await validator(typed, dispatcher, at_step(typed, slot, metadata, **slots), {})
    return result, said(dispatcher)


async def test_a_national_id_with_a_wrong_check_digit_is_asked_again(live):
    assert await validate("national_id", "0016383231") == ({"national_id": None}, ["invalid_national_id"])
    assert await validate("national_id", OWNER["national_id"]) == (
        {
            "national_id": OWNER["national_id"],
            "phone_number": None,
            "otp_code": None,
            "phone_verified": None,
            "identity_verified": None,
        },
        [],
    )


async def test_a_typed_phone_of_the_owner_gets_a_code_that_proves_the_id(live):
    result, replies = await validate("phone_number", "۰۹۱۲ ۱۰۰ ۰۱۰۱")
    assert result == {"phone_number": OWNER["phone"], "phone_verified": False} and replies == []
    code = await live.last_code(OWNER["phone"])
    result, replies = await validate("otp_code", "۰۰۰۰۰۰" if code != "000000" else "111111", phone_number=OWNER["phone"])
    assert result == {"otp_code": None} and replies == ["wrong_otp_code"]
    result, replies = await validate("otp_code", code, phone_number=OWNER["phone"])
    assert result == {"otp_code": "verified", "identity_verified": True, "phone_verified": True} and replies == []
    assert await runtime().verified.owns(at_step(code, "otp_code"), OWNER["national_id"])


async def test_a_phone_that_is_not_the_owners_is_refused(live):
    result, replies = await validate("phone_number", STRANGER_PHONE)
    assert result == {"phone_number": None, "phone_verified": None} and replies == ["phone_not_owner"]


async def test_a_contact_the_messenger_vouches_for_needs_no_code(live):
    result, _ = await validate("phone_number", OWNER["phone"], metadata={"verified_phone": OWNER["phone"]})
    assert result == {"phone_number": OWNER["phone"], "phone_verified": True, "identity_verified": True}


async def test_the_identity_service_down_stops_the_form(live):
    await live.mode("identity", "down")
    assert await validate("phone_number", OWNER["phone"]) == ({"phone_number": None, "form_abort": UNAVAILABLE}, [])


async def test_too_many_wrong_phones_lock_the_requester(live):
    results = [await validate("phone_number", STRANGER_PHONE) for _ in range(runtime().settings.identity_max_failures)]
    assert results[-1] == ({"phone_number": None, "form_abort": LOCKED}, [])
    assert await validate("national_id", OWNER["national_id"]) == ({"national_id": None, "form_abort": LOCKED}, [])


async def test_in_a_group_the_check_moves_to_a_private_chat(live):
    result, replies = await validate(
        "national_id", OWNER["national_id"], metadata={"chat_type": "group", "private_link": "https://t.me/x"}
    )
    assert result == {"national_id": None, "form_abort": "private_only"} and replies == ["identity_private_only_link"]


def test_the_value_before_the_turn_ignores_the_new_one_and_earlier_sessions():
    earlier = (
        {"event": "slot", "name": "national_id", "value": "1"},
        {"event": "user", "text": "x"},
        {"event": "slot", "name": "national_id", "value": "2"},
    )
    assert slot_before_turn(tracker("3", earlier=earlier), "national_id") == "2"
    assert slot_before_turn(tracker("3", earlier=(*earlier, {"event": "session_started"})), "national_id") is None


def test_why_a_form_stopped_is_said_once():
    for abort, replies in (
        (LOCKED, ["identity_locked"]),
        (UNAVAILABLE, ["identity_unavailable"]),
        ("sms_limited", []),
        (None, []),
    ):
        dispatcher = CollectingDispatcher()
        say_why_stopped(dispatcher, abort)
        assert said(dispatcher) == replies
