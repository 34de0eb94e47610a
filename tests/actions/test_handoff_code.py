"""actions/handoff_code.py: the agent's note first, then the guide, the case form or the complaint form."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.handoff_code import ActionHandoffCode
from actions.runtime import runtime
from content.loader import load_articles
from tests.actions.kit import said, text, tracker


def handed(kind: str, target: str = "", note: str = ""):
    entities = {"handoff_kind": kind, "handoff_target": target, "handoff_note": note}
    return tracker("/handoff_code{}", intent="handoff_code", entities=entities, slots={"tracking_code": "123"})


async def run(conversation) -> tuple[CollectingDispatcher, list[dict]]:
    dispatcher = CollectingDispatcher()
    return dispatcher, await ActionHandoffCode().run(dispatcher, conversation, {})


async def test_a_guide_opens_at_its_first_step_after_the_note(live):
    await runtime().content.publish(load_articles())
    guide = next(a for a in load_articles() if a.id == "passport-new")
    dispatcher, events = await run(handed("guide", "passport-new", "عکس را فراموش نکنید"))
    assert said(dispatcher) == ["handoff_note", "guide_title", "guide_step"]
    assert "«عکس را فراموش نکنید»" in text(dispatcher) and guide.steps[0] in text(dispatcher)
    assert {"event": "slot", "name": "article_step", "value": 0.0, "timestamp": None} in events


async def test_the_forms_start_fresh_and_a_note_may_be_empty(live):
    for kind, form in (("case", "case_status_form"), ("complaint", "file_complaint_form")):
        dispatcher, events = await run(handed(kind))
        assert said(dispatcher) == ["handoff_welcome"]
        assert events[-1] == {"event": "followup", "name": form, "timestamp": None}
        # Nothing of an earlier form carries over; identity is left to the form, which asks for it.
        assert {"event": "slot", "name": "tracking_code", "value": None, "timestamp": None} in events
        assert not any(e.get("name") in ("identity_verified", "national_id") for e in events)


async def test_a_guide_no_longer_there_is_said_kindly(live):
    await runtime().content.publish(load_articles())
    dispatcher, _ = await run(handed("guide", "gone-guide", "x"))
    assert said(dispatcher) == ["handoff_note", "guide_not_found"]
