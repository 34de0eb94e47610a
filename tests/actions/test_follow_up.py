"""actions/follow_up.py: a question about the last answer is routed by what it was about."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.follow_up import ActionFollowUp, sentence_lines, subject_of
from tests.actions.kit import guide_button, said, tracker


def test_a_step_a_sentence_a_line():
    step = "اصل شناسنامه و کارت ملی را همراه ببرید. اگر گذرنامه قبلی دارید، آن را هم ببرید."
    assert sentence_lines(step) == "• اصل شناسنامه و کارت ملی را همراه ببرید.\n• اگر گذرنامه قبلی دارید\n• آن را هم ببرید."


def test_the_subject_is_read_from_the_slot():
    assert subject_of(tracker(slots={"last_subject": "service:passport"})) == ("service", "passport")
    assert subject_of(tracker()) == ("", "")


async def test_with_nothing_before_it_asks_what_about(live):
    dispatcher = CollectingDispatcher()
    assert await ActionFollowUp().run(dispatcher, tracker("کی درست میشه؟", intent="ask_when"), {}) == []
    assert said(dispatcher) == ["follow_no_subject"]


async def test_when_after_a_service_that_is_down(live):
    dispatcher = CollectingDispatcher()
    asked = tracker("کی درست میشه؟", intent="ask_when", slots={"last_subject": "service:driving_licence"})
    await ActionFollowUp().run(dispatcher, asked, {})
    assert said(dispatcher) == ["follow_service_when"] and "۱۴۰۵" in dispatcher.messages[0]["text"]


async def test_a_complaints_code(live):
    dispatcher = CollectingDispatcher()
    asked = tracker("کی جواب میدن؟", intent="ask_when", slots={"last_subject": "complaint:۷۱۲۳۴۵"})
    await ActionFollowUp().run(dispatcher, asked, {})
    assert said(dispatcher) == ["follow_complaint"] and "۷۱۲۳۴۵" in dispatcher.messages[0]["text"]


async def test_a_typed_next_after_a_case_is_not_a_guide_step(live):
    dispatcher = CollectingDispatcher()
    asked = tracker("بعدش چیکار کنم", intent="next_step", slots={"last_subject": "case:tamin", "last_case": ""})
    await ActionFollowUp().run(dispatcher, asked, {})
    assert said(dispatcher) == ["follow_case_prove_again"]


async def test_a_guides_next_button_moves_the_guide_whatever_the_subject(articles):
    dispatcher = CollectingDispatcher()
    pressed = guide_button("next_step", "passport-new", 0, last_subject="service:passport")
    events = await ActionFollowUp().run(dispatcher, pressed, {})
    assert said(dispatcher) == ["guide_step"] and "مرحله ۲ از" in dispatcher.messages[0]["text"]
    assert {"event": "slot", "timestamp": None, "name": "article_step", "value": 1.0} in events
