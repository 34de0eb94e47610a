"""actions/case_status.py: a case is shown only to whoever proved the national id it belongs to."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.case_status import ActionAskOtpCode, ActionCaseStatus, ValidateCaseStatusForm
from actions.identity_check import LOCKED
from actions.runtime import runtime
from tests.actions.kit import said, slots_set, text, tracker

CODE, OWNER_ID, OWNER_PHONE = "7140508213457", "0016383230", "09121000101"
OTHER_ID, OTHER_PHONE = "1283564807", "09161000606"  # a real citizen, not the owner of CODE


async def shown(slots: dict, proved: tuple[str, str] | None = None) -> tuple[list[str], str, dict]:
    conversation = tracker("۴۸۲۹۱۵", slots={"tracking_code": CODE, "national_id": OWNER_ID, **slots})
    if proved:
        await runtime().verified.prove(conversation, *proved)
    dispatcher = CollectingDispatcher()
    events = await ActionCaseStatus().run(dispatcher, conversation, {})
    return said(dispatcher), text(dispatcher), slots_set(events)


async def test_the_owner_sees_the_case_and_identifiers_leave_the_tracker(live):
    replies, shown_text, slots = await shown({}, proved=(OWNER_ID, OWNER_PHONE))
    # The case in one message (its next step and office a line each), then the question.
    assert replies == ["case_status", "case_done"]
    answer = shown_text.split("\n")
    assert "در حال بررسی" in answer[1] and answer[3].startswith("قدم بعدی:") and answer[4].startswith("محل پیگیری:")
    assert slots["tracking_code"] is None and slots["national_id"] is None and slots["phone_number"] is None
    assert slots["agency"] == "tamin" and slots["last_case"].startswith(f"tamin:{CODE}:")


async def test_nothing_is_shown_without_proof(live):
    replies, _, slots = await shown({})
    assert replies == ["identity_not_proved"] and slots["national_id"] is None


async def test_a_case_of_someone_else_is_not_shown(live):
    replies, _, _ = await shown({"national_id": OTHER_ID}, proved=(OTHER_ID, OTHER_PHONE))
    assert replies == ["case_id_mismatch"]


async def test_an_unknown_code_and_an_agency_down_are_told_apart(live):
    assert (await shown({"tracking_code": "7140500000000"}, proved=(OWNER_ID, OWNER_PHONE)))[0] == ["case_unknown_code"]
    await live.mode("tamin", "down")
    replies, shown_text, _ = await shown({}, proved=(OWNER_ID, OWNER_PHONE))
    assert replies == ["agency_unavailable"] and "تأمین اجتماعی" in shown_text


async def test_a_stopped_form_says_why(live):
    assert (await shown({"form_abort": LOCKED}))[0] == ["identity_locked"]


async def test_the_tracking_code_is_checked_against_the_agencies_patterns(live):
    form = ValidateCaseStatusForm()

    async def check(typed: str, metadata: dict | None = None) -> tuple[dict, list[str]]:
        dispatcher = CollectingDispatcher()
        result = await form.validate_tracking_code(typed, dispatcher, tracker(typed, metadata=metadata), {})
        return result, said(dispatcher)

    assert await check("پرونده ۷۱۴۰۵۰۸۲۱۳۴۵۷") == ({"tracking_code": CODE}, [])
    assert await check("12345") == ({"tracking_code": None}, ["invalid_tracking_code"])
    assert await check("6037997599185460") == ({"tracking_code": None}, ["never_card"])
    assert (await check(CODE, {"chat_type": "group"}))[0] == {"tracking_code": None, "form_abort": "private_only"}


async def test_the_code_question_shows_the_phone_masked(live):
    dispatcher = CollectingDispatcher()
    await ActionAskOtpCode().run(dispatcher, tracker(slots={"phone_number": OWNER_PHONE}), {})
    assert said(dispatcher) == ["ask_otp_code"] and "۰۹۱۲***۰۱۰۱" in text(dispatcher)
