"""actions/general.py: session start, greeting, goodbye, fallback, routing, repeat, a human."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.general import (
    ActionCancelForm,
    ActionFallback,
    ActionGoodbye,
    ActionGreet,
    ActionRepeat,
    ActionRequestHuman,
    ActionRouteInform,
    ActionSessionStart,
)
from actions.runtime import runtime
from tests.actions.kit import payloads, said, slots_set, text, tracker


async def run(action, conversation) -> tuple[CollectingDispatcher, list[dict]]:
    dispatcher = CollectingDispatcher()
    return dispatcher, await action.run(dispatcher, conversation, {})


async def test_a_new_session_shows_the_privacy_notice_once(live):
    dispatcher, events = await run(ActionSessionStart(), tracker())
    assert said(dispatcher) == ["privacy_notice"]
    assert [e["event"] for e in events] == ["session_started", "slot", "action"]
    dispatcher, events = await run(ActionSessionStart(), tracker(slots={"privacy_notice_shown": True}))
    assert said(dispatcher) == [] and slots_set(events) == {"privacy_notice_shown": True}


async def test_a_greeting_alone_introduces_hamyar(live):
    dispatcher, events = await run(ActionGreet(), tracker("سلام", intent="greet"))
    assert said(dispatcher) == ["greet"] and events == []


async def test_a_greeting_that_names_a_service_offers_what_can_be_done_about_it(live):
    dispatcher, _ = await run(ActionGreet(), tracker("سلام گذرنامه", intent="greet", entities={"service": "passport"}))
    assert said(dispatcher) == ["greet_short", "service_menu"]
    assert "گذرنامه" in text(dispatcher)
    assert '/service_status{"service": "passport", "agency": "police"}' in payloads(dispatcher)


async def test_a_greeting_that_names_a_case_starts_the_lookup(live):
    dispatcher, events = await run(
        ActionGreet(), tracker("سلام 7140508213457", intent="greet", entities={"tracking_code": "7140508213457"})
    )
    assert said(dispatcher) == ["greet_short"]
    assert events == [{"event": "followup", "timestamp": None, "name": "case_status_form"}]


async def test_goodbye_forgets_the_proved_identity_and_the_forms(live):
    conversation = tracker("خداحافظ", intent="goodbye", slots={"national_id": "0016383230", "tracking_code": "7140508213457"})
    await runtime().verified.prove(conversation, "0016383230", "09121000101")
    dispatcher, events = await run(ActionGoodbye(), conversation)
    assert said(dispatcher) == ["goodbye"]
    assert not await runtime().verified.owns(conversation, "0016383230")
    cleared = slots_set(events)
    assert cleared["national_id"] is None and cleared["tracking_code"] is None and cleared["article_id"] is None


async def test_cancelling_leaves_the_form(live):
    dispatcher, events = await run(ActionCancelForm(), tracker("ولش کن", form="case_status_form"))
    assert said(dispatcher) == ["cancelled"]
    assert events[0] == {"event": "active_loop", "timestamp": None, "name": None}
    assert slots_set(events)["requested_slot"] is None


async def test_the_fallback_warns_about_a_card_number_and_says_it_did_not_understand(live):
    dispatcher, _ = await run(ActionFallback(), tracker("کارت من 6037997599185460", intent="nlu_fallback"))
    assert said(dispatcher) == ["never_card", "not_understood"]
    dispatcher, _ = await run(ActionFallback(), tracker("هوا چطوره", intent="out_of_scope"))
    assert said(dispatcher) == ["out_of_scope"]


async def test_a_bare_code_starts_a_case_lookup_and_nothing_named_shows_the_menu(live):
    _, events = await run(ActionRouteInform(), tracker("7140508213457", entities={"tracking_code": "7140508213457"}))
    assert events == [{"event": "followup", "timestamp": None, "name": "case_status_form"}]
    dispatcher, events = await run(ActionRouteInform(), tracker("خب"))
    assert said(dispatcher) == ["utter_help"] and events == []


async def test_an_agency_named_alone_offers_its_menu(live):
    dispatcher, _ = await run(ActionRouteInform(), tracker("ثبت احوال", entities={"agency": "sabt"}))
    assert said(dispatcher) == ["agency_menu"]


async def test_repeat_says_the_last_answer_again_with_its_buttons(live):
    earlier = (
        {"event": "user", "text": "سلام"},
        {"event": "bot", "text": "قبلی", "data": {}},
        {"event": "user", "text": "راهنما"},
        {"event": "bot", "text": "اول", "data": {"buttons": [{"title": "بعدی", "payload": "/next_step"}]}},
        {"event": "bot", "text": "دوم", "data": {}},
    )
    dispatcher, _ = await run(ActionRepeat(), tracker("دوباره بگو", intent="repeat_message", earlier=earlier))
    assert [m["text"] for m in dispatcher.messages] == ["اول", "دوم"]
    assert payloads(dispatcher) == ["/next_step"]


async def test_repeat_without_an_earlier_answer_says_so(live):
    dispatcher, _ = await run(ActionRepeat(), tracker("دوباره بگو", intent="repeat_message"))
    assert said(dispatcher) == ["nothing_to_repeat"]


async def test_repeat_as_the_first_message_repeats_the_privacy_notice(live):
    earlier = ({"event": "bot", "text": "همیار این گفتگو را نگه می‌دارد.", "data": {}},)  # said as the session started
    dispatcher, _ = await run(ActionRepeat(), tracker("دوباره بگو", intent="repeat_message", earlier=earlier))
    assert [m["text"] for m in dispatcher.messages] == ["همیار این گفتگو را نگه می‌دارد."]


async def test_a_human_is_the_call_centre_of_the_agency_in_question(live):
    dispatcher, _ = await run(ActionRequestHuman(), tracker("اپراتور", intent="request_human", entities={"agency": "police"}))
    assert said(dispatcher) == ["request_human"] and "۰۹۶۳۸۰" in text(dispatcher)
    dispatcher, _ = await run(
        ActionRequestHuman(), tracker("اپراتور", intent="request_human", slots={"tracking_code": "7140508213457"})
    )
    assert "۱۴۲۰" in text(dispatcher)
    dispatcher, _ = await run(ActionRequestHuman(), tracker("اپراتور", intent="request_human"))
    assert said(dispatcher) == ["request_human_general"] and "۱۱۱۱" in text(dispatcher)
