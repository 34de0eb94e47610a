"""actions/service_status.py against the real sandbox agency."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.service_status import ActionAskAgency, ActionAskService, ActionServiceStatus, ValidateServiceStatusForm
from tests.actions.kit import payloads, said, slots_set, text, tracker


async def status_of(service: str) -> CollectingDispatcher:
    dispatcher = CollectingDispatcher()
    events = await ActionServiceStatus().run(dispatcher, tracker("وضعیت", slots={"service": service, "agency": None}), {})
    known = {"last_subject": f"service:{service}"} if said(dispatcher)[-1] == "service_done" else {}
    assert slots_set(events) == {"service": None, "agency": None, **known}
    return dispatcher


async def test_a_service_that_works_is_said_to_work(live):
    dispatcher = await status_of("passport")
    assert said(dispatcher) == ["service_up", "service_done"]
    assert "گذرنامه" in text(dispatcher)


async def test_a_service_that_is_down_says_when_it_comes_back(live):
    dispatcher = await status_of("driving_licence")
    # The status and its restore time in one message, then the question.
    assert said(dispatcher) == ["service_down", "service_done"]
    assert "\nزمان تقریبی درست شدن: " in dispatcher.messages[0]["text"]
    assert "۱۴۰۵" in text(dispatcher)  # a Jalali date in Persian digits


async def test_an_agency_that_does_not_answer_is_named(live):
    await live.mode("police", "down")
    dispatcher = await status_of("passport")
    assert said(dispatcher) == ["service_status_unavailable", "service_done"]
    assert "پلیس +۱۰" in text(dispatcher)


async def test_an_unknown_service_is_not_understood(live):
    assert said(await status_of("weather")) == ["not_understood"]


async def test_the_form_takes_a_service_by_name_and_finds_its_agency(live):
    form = ValidateServiceStatusForm()
    conversation = tracker("گذرنامه")
    assert await form.validate_service("passport", CollectingDispatcher(), conversation, {}) == {
        "service": "passport",
        "agency": "police",
    }
    assert await form.validate_service("weather", CollectingDispatcher(), conversation, {}) == {"service": None}
    assert await form.validate_agency("sabt", CollectingDispatcher(), conversation, {}) == {"agency": "sabt"}
    assert await form.validate_agency("nasa", CollectingDispatcher(), conversation, {}) == {"agency": None}
    named = tracker("گذرنامه", slots={"service": "passport"})
    assert await form.required_slots(["agency", "service"], CollectingDispatcher(), named, {}) == ["service"]
    assert await form.required_slots(["agency", "service"], CollectingDispatcher(), conversation, {}) == ["agency", "service"]


async def test_the_questions_offer_agencies_then_their_services(live):
    dispatcher = CollectingDispatcher()
    await ActionAskAgency().run(dispatcher, tracker(), {})
    assert said(dispatcher) == ["ask_agency_for_service"]
    assert {'/inform{"agency":"tamin"}', '/inform{"agency":"sabt"}', '/inform{"agency":"police"}'} <= set(payloads(dispatcher))
    dispatcher = CollectingDispatcher()
    await ActionAskService().run(dispatcher, tracker(slots={"agency": "police"}), {})
    assert said(dispatcher) == ["ask_service_of_agency"]
    assert '/inform{"service":"driving_licence"}' in payloads(dispatcher)
