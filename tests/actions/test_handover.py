"""actions/handover.py: the handoff signal the gateway acts on, and two misunderstandings in a row."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.complaints import ActionFileComplaint
from actions.general import ActionFallback, ActionFormNotUnderstood, ActionHandback, ActionRequestHuman
from actions.runtime import runtime
from tests.actions.kit import said, slots_set, tracker
from tests.actions.test_complaints import COMPLAINT, OWNER_ID, OWNER_PHONE, filing


async def run(action, conversation) -> tuple[CollectingDispatcher, list[dict]]:
    dispatcher = CollectingDispatcher()
    return dispatcher, await action.run(dispatcher, conversation, {})


def signal(dispatcher: CollectingDispatcher) -> list[dict]:
    return [m["custom"]["handoff"] for m in dispatcher.messages if (m.get("custom") or {}).get("handoff")]


def turn(text: str, *replies: dict) -> list[dict]:
    """An earlier turn: the citizen's text and the bot's messages as the tracker keeps them."""
    return [{"event": "user", "text": text}, *({"event": "bot", "text": "…", "data": r} for r in replies)]


MISS = {"custom": {"misunderstood": True}}
ANSWER = {"custom": None}


async def test_asking_for_a_person_carries_the_signal_with_the_agency_and_the_number(live):
    dispatcher, _ = await run(ActionRequestHuman(), tracker("اپراتور", intent="request_human", entities={"agency": "police"}))
    assert said(dispatcher) == ["request_human"]
    assert signal(dispatcher) == [{"reason": "request_human", "agency": "police"}]
    dispatcher, _ = await run(ActionRequestHuman(), tracker("اپراتور", intent="request_human"))
    assert signal(dispatcher) == [{"reason": "request_human", "agency": "general"}]


async def test_the_second_misunderstanding_in_a_row_hands_over(live):
    dispatcher, _ = await run(ActionFallback(), tracker("قثصقثص", intent="nlu_fallback"))
    assert said(dispatcher) == ["not_understood"] and signal(dispatcher) == []
    assert dispatcher.messages[0]["custom"] == {"misunderstood": True}
    dispatcher, _ = await run(ActionFallback(), tracker("قثصقثص", intent="nlu_fallback", earlier=turn("ضصث", MISS)))
    assert said(dispatcher) == ["not_understood_again", "request_human_general"]
    assert signal(dispatcher) == [{"reason": "misunderstood", "agency": "general"}]
    # An understood turn in between starts the count again; after a handoff, two more are needed.
    dispatcher, _ = await run(
        ActionFallback(), tracker("قثص", intent="nlu_fallback", earlier=(*turn("ضصث", MISS), *turn("سلام", ANSWER)))
    )
    assert signal(dispatcher) == []
    earlier = (*turn("الف", MISS), *turn("ب", MISS))
    dispatcher, _ = await run(ActionFallback(), tracker("ج", intent="nlu_fallback", earlier=earlier))
    assert signal(dispatcher) == []


async def test_inside_a_form_the_second_misunderstanding_ends_the_form_and_hands_over(live):
    dispatcher, events = await run(ActionFormNotUnderstood(), tracker("قثص", intent="nlu_fallback", form="case_status_form"))
    assert said(dispatcher) == ["form_not_understood"] and events == []
    conversation = tracker("قثص", intent="nlu_fallback", form="case_status_form", earlier=turn("ضصث", MISS))
    dispatcher, events = await run(ActionFormNotUnderstood(), conversation)
    assert signal(dispatcher) == [{"reason": "misunderstood", "agency": "general"}]
    assert events[0] == {"event": "active_loop", "timestamp": None, "name": None}
    assert slots_set(events)["requested_slot"] is None and events[-1]["name"] == "action_listen"


async def test_handing_back_tells_the_citizen_the_bot_is_back(live):
    dispatcher, _ = await run(ActionHandback(), tracker("/handback", intent="handback"))
    assert said(dispatcher) == ["handback"]


async def test_a_rule_hands_complaints_about_an_agency_to_a_person(live, tmp_path, monkeypatch):
    desk = tmp_path / "desk.yml"
    desk.write_text("handoff_rules:\n  - name: tamin\n    when: {complaint_agency: tamin}\n", encoding="utf-8")
    monkeypatch.setenv("HAMYAR_DESK", str(desk))
    conversation = filing()
    await runtime().verified.prove(conversation, OWNER_ID, OWNER_PHONE)
    dispatcher, _ = await run(ActionFileComplaint(), conversation)
    assert said(dispatcher) == ["complaint_filed", "complaint_to_person", "request_human"]
    assert signal(dispatcher) == [{"reason": "complaint", "agency": "tamin"}]
    # A complaint about an agency no rule names is only filed.
    desk.write_text("handoff_rules:\n  - name: police\n    when: {complaint_agency: police}\n", encoding="utf-8")
    conversation = filing(complaint_text=COMPLAINT + " هنوز")
    await runtime().verified.prove(conversation, OWNER_ID, OWNER_PHONE)
    dispatcher, _ = await run(ActionFileComplaint(), conversation)
    assert said(dispatcher) == ["complaint_filed"]


async def test_after_a_case_the_signal_names_it_and_whether_it_waits_on_the_citizen(live):
    # For the desk's priority rules (desk/priority.py): a third contact about one case, a case
    # waiting on the citizen. The case is the one last shown (action_case_status writes it).
    shown = {"last_case": "tamin:7140508305519:waiting_for_citizen:منتظر مدرک از طرف شما"}
    dispatcher, _ = await run(ActionRequestHuman(), tracker("اپراتور", intent="request_human", slots=shown))
    assert signal(dispatcher) == [
        {"reason": "request_human", "agency": "general", "case": "tamin:7140508305519", "waiting_on_citizen": True}
    ]
    # A value from before the status was kept: the case, not waiting.
    older = {"last_case": "tamin:7140508213457:در حال بررسی در شعبه"}
    dispatcher, _ = await run(ActionRequestHuman(), tracker("اپراتور", intent="request_human", slots=older))
    assert signal(dispatcher)[0]["case"] == "tamin:7140508213457" and not signal(dispatcher)[0]["waiting_on_citizen"]
