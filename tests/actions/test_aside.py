"""actions/aside.py and the validators' check: a form takes a slot only from a message that
answers its question; another question is answered aside, and «ندارم» is helped."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.aside import ActionAnswerAside, ActionDontHave, ActionResumeForm, asked_but_not_answered, item_asked
from actions.case_status import ValidateCaseStatusForm
from actions.complaints import ValidateFileComplaintForm
from actions.runtime import runtime
from tests.actions.kit import payloads, said, tracker

CODE, OWNER_ID, OWNER_PHONE = "7140508213457", "0016383230", "09121000101"


def asked(slot: str, text: str, intent: str, entities: dict | None = None, form: str = "case_status_form", **slots):
    return tracker(text, intent=intent, entities=entities, slots={"requested_slot": slot, **slots}, form=form)


@pytest.mark.parametrize(
    ("text", "intent", "entities", "expected"),
    [
        ("راستی سامانه گذرنامه کار میکنه؟", "service_status", {"service": "passport"}, True),
        ("/case_status", "case_status", None, True),  # «ادامه پیگیری پرونده»
        ("کد پیگیری ندارم", "dont_have", None, True),
        ("چطوری گذرنامه بگیرم", "how_to", None, True),
        (CODE, "inform", {"tracking_code": CODE}, False),
        (f"پرونده {CODE} سامانه کار میکنه؟", "service_status", {"tracking_code": CODE}, False),  # the slot's own shape
        ("۱۲۳۴۵", "inform", None, False),  # an answer, if a wrong one: the validator says so
    ],
)
def test_only_an_answer_fills_the_asked_slot(text, intent, entities, expected):
    assert asked_but_not_answered(asked("tracking_code", text, intent, entities), "tracking_code", "tracking_code") is expected


def test_a_slot_not_asked_is_not_judged():
    # At a form's start a proved national id is extracted whatever the message was.
    assert not asked_but_not_answered(asked("tracking_code", "/case_status", "case_status"), "national_id", "national_id")


async def test_a_question_asked_for_a_tracking_code_is_rejected_without_a_word(live):
    dispatcher = CollectingDispatcher()
    text = "راستی سامانه گذرنامه کار میکنه؟"
    result = await ValidateCaseStatusForm().validate_tracking_code(
        text, dispatcher, asked("tracking_code", text, "service_status"), {}
    )
    assert result == {"tracking_code": None} and dispatcher.messages == []


async def test_a_bad_code_is_still_told(live):
    dispatcher = CollectingDispatcher()
    await ValidateCaseStatusForm().validate_tracking_code("12345", dispatcher, asked("tracking_code", "12345", "inform"), {})
    assert said(dispatcher) == ["invalid_tracking_code"]


async def test_dont_have_for_the_national_id_and_the_phone_is_no_wrong_value(live):
    form = ValidateCaseStatusForm()
    dispatcher = CollectingDispatcher()
    text = "نمیدونم کد ملیم چنده"
    assert await form.validate_national_id(text, dispatcher, asked("national_id", text, "dont_have"), {}) == {"national_id": None}
    text = "شماره ام عوض شده"
    result = await form.validate_phone_number(
        text, dispatcher, asked("phone_number", text, "dont_have", national_id=OWNER_ID), {}
    )
    assert result == {"phone_number": None} and dispatcher.messages == []


async def test_a_question_for_the_sms_code_is_not_a_wrong_code(live):
    form = ValidateCaseStatusForm()
    slots = {"national_id": OWNER_ID, "phone_number": OWNER_PHONE}
    for _ in range(6):  # more than the wrong codes that lock the lookup
        dispatcher = CollectingDispatcher()
        result = await form.validate_otp_code("کد نیومد", dispatcher, asked("otp_code", "کد نیومد", "dont_have", **slots), {})
        assert result == {"otp_code": None} and dispatcher.messages == []
    assert not await runtime().failures.locked(asked("otp_code", "۱۲۳۴۵۶", "inform", **slots))


async def test_the_way_back_is_not_the_complaint_text_but_a_complaint_like_a_question_is(live):
    form = ValidateFileComplaintForm()
    dispatcher = CollectingDispatcher()
    button = asked("complaint_text", "/file_complaint", "file_complaint", form="file_complaint_form")
    assert await form.validate_complaint_text("/file_complaint", dispatcher, button, {}) == {"complaint_text": None}
    assert dispatcher.messages == []
    text = "سامانه تامین اجتماعی دو هفته است کار نمی‌کند و مستمری پدرم نیامده"
    typed = asked("complaint_text", text, "service_status", form="file_complaint_form")
    assert await form.validate_complaint_text(text, dispatcher, typed, {}) == {"complaint_text": text}


@pytest.mark.parametrize(
    ("text", "slot", "form", "item"),
    [
        ("کد ملیم یادم نیست", "phone_number", "case_status_form", "national_id"),
        ("شماره ام عوض شده", "tracking_code", "case_status_form", "phone_number"),
        ("kod peygiri nadaram", None, None, "tracking_code"),
        ("گمش کردم", "national_id", "file_complaint_form", "national_id"),
        ("ندارم", None, None, "tracking_code"),
    ],
)
def test_what_is_missing_is_named_or_asked(text, slot, form, item):
    assert item_asked(tracker(text, intent="dont_have", slots={"requested_slot": slot}, form=form)) == item


async def test_dont_have_before_a_form_offers_a_person_and_inside_leaves_the_buttons_to_the_question():
    dispatcher = CollectingDispatcher()
    text = "میخوام پرونده مو پیگیری کنم ولی کد پیگیری ندارم"
    await ActionDontHave().run(dispatcher, tracker(text, intent="dont_have"), {})
    assert said(dispatcher) == ["dont_have_tracking_code"] and "/request_human" in payloads(dispatcher)
    dispatcher = CollectingDispatcher()
    conversation = tracker(
        "شماره ام عوض شده", intent="dont_have", slots={"requested_slot": "phone_number"}, form="case_status_form"
    )
    await ActionDontHave().run(dispatcher, conversation, {})
    assert "دفتر اپراتور" in dispatcher.messages[0]["text"] and payloads(dispatcher) == []


async def test_off_topic_inside_a_form_says_what_hamyar_does_and_offers_the_way_back():
    dispatcher = CollectingDispatcher()
    conversation = tracker(
        "یه جوک بگو", intent="out_of_scope", slots={"requested_slot": "complaint_text"}, form="file_complaint_form"
    )
    assert await ActionAnswerAside().run(dispatcher, conversation, {}) == []
    assert said(dispatcher) == ["aside_out_of_scope", "aside_back_complaint"]
    assert payloads(dispatcher) == ["/file_complaint", "/deny"]


async def test_a_status_question_without_a_service_offers_the_services(live):
    dispatcher = CollectingDispatcher()
    conversation = tracker("سامانه ها کار میکنن؟", intent="service_status", form="case_status_form")
    await ActionAnswerAside().run(dispatcher, conversation, {})
    assert said(dispatcher) == ["aside_which_service", "aside_back_case"]
    assert '/service_status{"service": "passport"}' in payloads(dispatcher)


async def test_a_status_question_with_a_service_is_answered(live):
    dispatcher = CollectingDispatcher()
    conversation = tracker(
        "سایت پاسپورت کار میکنه؟", intent="service_status", entities={"service": "passport"}, form="service_status_form"
    )
    await ActionAnswerAside().run(dispatcher, conversation, {})
    assert said(dispatcher) == ["service_up", "aside_back_service"]


async def test_resuming_a_form_says_nothing():
    dispatcher = CollectingDispatcher()
    assert await ActionResumeForm().run(dispatcher, tracker("/case_status", intent="case_status"), {}) == []
    assert dispatcher.messages == []
