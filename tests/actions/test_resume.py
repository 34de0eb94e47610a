"""actions/resume.py: what is left unfinished, noted as each action's result passes the action
server's executor, and offered at the start of the next session."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.general import ActionSessionStart
from actions.guides import ActionHowTo
from actions.resume import ProgressExecutor
from actions.runtime import runtime
from actions.unfinished import Unfinished
from content.loader import load_articles
from tests.actions.kit import guide_button, payloads, said, slots_set, text, tracker

DOMAIN = yaml.safe_load((Path(__file__).parents[2] / "bot" / "domain.yml").read_text(encoding="utf-8"))
SENDER = "web:resume"


@pytest.fixture
async def executor(live) -> ProgressExecutor:
    await runtime().content.publish(load_articles())
    executor = ProgressExecutor()
    executor.register_package("actions")
    return executor


async def run(executor: ProgressExecutor, action: str, conversation: Tracker) -> list[dict]:
    """The action's messages, run as the action server runs it."""
    result = await executor.run({"next_action": action, "tracker": conversation.current_state(), "domain": DOMAIN})
    assert result is not None
    return result.responses


def guide_at(step: int) -> Tracker:
    return tracker("بعدی", intent="next_step", slots={"article_id": "passport-new", "article_step": step}, sender=SENDER)


async def kept() -> Unfinished | None:
    return await runtime().unfinished.peek(SENDER)


async def test_a_guide_step_shown_is_kept_and_its_last_step_forgets_it(executor):
    opened = tracker("پاسپورت", intent="how_to", entities={"article_id": "passport-new"}, sender=SENDER)
    await run(executor, "action_how_to", opened)
    assert await kept() == Unfinished("guide", "passport-new", step=0)
    await run(executor, "action_guide_next", guide_at(1))
    assert await kept() == Unfinished("guide", "passport-new", step=2)
    last = len(next(a for a in load_articles() if a.id == "passport-new").steps) - 1
    await run(executor, "action_guide_next", guide_at(last - 1))
    assert await kept() is None


async def test_goodbye_forgets_a_guide(executor):
    await run(executor, "action_guide_next", guide_at(1))
    await run(executor, "action_goodbye", tracker("خداحافظ", intent="goodbye", sender=SENDER))
    assert await kept() is None


async def test_a_form_asking_is_kept_and_cancelling_forgets_it(executor):
    asking = tracker("پرونده", intent="case_status", form="case_status_form", sender=SENDER)
    await run(executor, "action_ask_national_id", asking)
    assert await kept() == Unfinished("form", "case_status_form", slot="national_id")
    # Nothing the citizen typed is kept.
    assert all(
        "0016383230" not in str(v) for v in (await runtime().redis.mget(await runtime().redis.keys("hamyar:unfinished:*")))
    )
    await run(executor, "action_cancel_form", tracker("نه", intent="deny", form="case_status_form", sender=SENDER))
    assert await kept() is None


async def test_a_form_ended_leaves_the_guide_before_it(executor):
    await run(executor, "action_guide_next", guide_at(1))
    await run(executor, "action_cancel_form", tracker("نه", intent="deny", form="case_status_form", sender=SENDER))
    assert await kept() == Unfinished("guide", "passport-new", step=2)


async def test_a_new_session_offers_the_guide_once(executor):
    await runtime().unfinished.keep(SENDER, Unfinished("guide", "passport-new", step=2))
    answer = await run(executor, "action_session_start", tracker(sender=SENDER))
    offer = answer[-1]
    assert "دفعه قبل در مرحله ۳ راهنمای «گرفتن گذرنامه» بودید" in offer["text"]
    assert [b["title"] for b in offer["buttons"]] == ["ادامه", "نه، ممنون"]
    assert offer["buttons"][0]["payload"] == '/how_to{"article_id":"passport-new","guide_step":"2"}'
    assert offer["custom"] == {"last_question": True}  # the turn's question (connectors/rendering.py)
    assert await kept() is None
    dispatcher = CollectingDispatcher()
    await ActionSessionStart().run(dispatcher, tracker(slots={"privacy_notice_shown": True}, sender=SENDER), {})
    assert said(dispatcher) == []


async def test_a_new_session_offers_a_form_from_its_start(executor):
    await runtime().unfinished.keep(SENDER, Unfinished("form", "file_complaint_form", slot="complaint_text"))
    dispatcher = CollectingDispatcher()
    await ActionSessionStart().run(dispatcher, tracker(sender=SENDER), {})
    assert said(dispatcher) == ["privacy_notice", "resume_file_complaint_form"]
    assert "/file_complaint" in payloads(dispatcher)


async def test_continue_opens_the_guide_at_its_step(executor):
    dispatcher = CollectingDispatcher()
    pressed = guide_button("how_to", "passport-new", 2)
    slots = slots_set(await ActionHowTo().run(dispatcher, pressed, DOMAIN))
    assert slots["article_step"] == 2.0
    assert next(a for a in load_articles() if a.id == "passport-new").steps[2] in text(dispatcher)
