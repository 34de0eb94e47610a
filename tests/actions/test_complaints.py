"""actions/complaints.py: what happened, read back, then filed with the real sandbox in the name
the citizen proved."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.complaints import (
    ActionAskComplaintAgency,
    ActionAskComplaintConfirmed,
    ActionFileComplaint,
    ValidateFileComplaintForm,
    idempotency_key,
)
from actions.runtime import runtime
from tests.actions.kit import payloads, said, slots_set, text, tracker

OWNER_ID, OWNER_PHONE = "0016383230", "09121000101"
COMPLAINT = "سه ماه است مستمری من واریز نشده و کسی جواب نمی‌دهد"


def filing(**slots):
    return tracker(
        "بله",
        intent="affirm",
        slots={
            "complaint_agency": "tamin",
            "complaint_text": COMPLAINT,
            "complaint_confirmed": True,
            "national_id": OWNER_ID,
            **slots,
        },
    )


async def file(conversation) -> tuple[list[str], str, dict]:
    dispatcher = CollectingDispatcher()
    events = await ActionFileComplaint().run(dispatcher, conversation, {})
    return said(dispatcher), text(dispatcher), slots_set(events)


async def test_a_confirmed_complaint_is_filed_with_a_tracking_code_in_persian_digits(live):
    conversation = filing()
    await runtime().verified.prove(conversation, OWNER_ID, OWNER_PHONE)
    replies, filed, slots = await file(conversation)
    assert replies == ["complaint_filed"]
    assert any(ch in "۰۱۲۳۴۵۶۷۸۹" for ch in filed) and not any(ch.isascii() and ch.isdigit() for ch in filed)
    assert slots["complaint_text"] is None and slots["national_id"] is None


async def test_nothing_is_filed_unconfirmed_or_unproved(live):
    assert (await file(filing(complaint_confirmed=False)))[0] == ["complaint_cancelled"]
    assert (await file(filing()))[0] == ["identity_not_proved"]


async def test_a_requester_files_at_most_the_hourly_limit(live):
    conversation = filing()
    await runtime().verified.prove(conversation, OWNER_ID, OWNER_PHONE)
    limit = runtime().settings.complaints_per_hour
    replies = [(await file(conversation))[0] for _ in range(limit + 1)]
    assert replies == [["complaint_filed"]] * limit + [["complaint_limited"]]


async def test_an_agency_that_does_not_answer_is_named(live):
    conversation = filing()
    await runtime().verified.prove(conversation, OWNER_ID, OWNER_PHONE)
    await live.mode("tamin", "down")
    assert (await file(conversation))[0] == ["complaint_failed"]


async def test_the_text_is_long_enough_short_enough_and_holds_no_card(live):
    form = ValidateFileComplaintForm()

    async def check(typed: str) -> tuple[dict, list[str]]:
        dispatcher = CollectingDispatcher()
        result = await form.validate_complaint_text(typed, dispatcher, tracker(typed), {})
        return result, said(dispatcher)

    assert await check(COMPLAINT) == ({"complaint_text": COMPLAINT}, [])
    assert await check("بد بود") == ({"complaint_text": None}, ["complaint_too_short"])
    assert await check("الف " * 600) == ({"complaint_text": None}, ["complaint_too_long"])
    assert await check("کارتم 6037997599185460 را بلوکه کردند") == ({"complaint_text": None}, ["never_card"])
    assert await form.validate_complaint_agency("sabt", CollectingDispatcher(), tracker(), {}) == {"complaint_agency": "sabt"}
    assert await form.validate_complaint_agency("nasa", CollectingDispatcher(), tracker(), {}) == {"complaint_agency": None}


async def test_the_questions_offer_agencies_and_read_back_masked(live):
    dispatcher = CollectingDispatcher()
    await ActionAskComplaintAgency().run(dispatcher, tracker(), {})
    assert said(dispatcher) == ["ask_complaint_agency"] and '/inform{"agency":"police"}' in payloads(dispatcher)
    conversation = filing(complaint_confirmed=None)
    await runtime().verified.prove(conversation, OWNER_ID, OWNER_PHONE)
    dispatcher = CollectingDispatcher()
    await ActionAskComplaintConfirmed().run(dispatcher, conversation, {})
    read_back = text(dispatcher)
    assert said(dispatcher) == ["ask_complaint_confirmed"] and COMPLAINT in read_back and "تأمین اجتماعی" in read_back
    assert OWNER_ID not in read_back and "۰۹۱۲***۰۱۰۱" in read_back


def test_the_same_complaint_has_the_same_key():
    key = idempotency_key("web:a", "tamin", COMPLAINT, OWNER_ID, OWNER_PHONE)
    assert key == idempotency_key("web:a", "tamin", COMPLAINT, OWNER_ID, OWNER_PHONE)
    assert key != idempotency_key("web:b", "tamin", COMPLAINT, OWNER_ID, OWNER_PHONE) and len(key) == 40
