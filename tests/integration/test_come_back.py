"""Coming back days later (actions/resume.py): a guide or form left unfinished is offered at
the first answer of the next session, as the turn's question. Time passes by back-dating: the
tracker's events moved days back, or the tracker gone as its expiry makes it and the record
kept as if days ago (its own clock)."""

from __future__ import annotations

import time

import pytest
import redis.asyncio as aioredis

from actions.trust import Hasher
from actions.unfinished import UnfinishedStore
from tests.integration.backdating import back_date, expire

pytestmark = pytest.mark.integration

DAY = 86400
GUIDE_OFFER = "دفعه قبل در مرحله ۳ راهنمای «گرفتن گذرنامه» بودید. ادامه بدهیم؟"
FORM_OFFER = "دفعه قبل پیگیری پرونده نیمه‌کاره ماند. ادامه بدهیم؟"


async def kept_days_ago(stack, conversation_id: str, days: float) -> None:
    """The conversation's record kept again, as if ``days`` ago (30 days is its life)."""
    client = aioredis.from_url(stack.redis_url, decode_responses=True)
    hasher = Hasher(stack.tokens["HAMYAR_DATA_KEY"])
    record = await UnfinishedStore(client, hasher, 30 * DAY).peek(conversation_id)
    assert record is not None, "nothing was kept"
    await UnfinishedStore(client, hasher, 30 * DAY, clock=lambda: time.time() - days * DAY).keep(conversation_id, record)
    await client.aclose()


async def test_a_guide_left_at_step_three_is_offered_two_days_later(stack, chat):
    await chat.say("چطوری پاسپورت بگیرم")
    await chat.click("مرحله بعد")
    await chat.click("مرحله بعد")
    assert "مرحله ۳ از" in chat.text()
    back_date(stack.redis_url, chat.conversation_id, 2 * DAY)

    await chat.say("سلام")
    assert len(chat.last) == 2 and chat.last[-1]["text"] == GUIDE_OFFER, chat.text()
    assert "من همیار هستم" in chat.last[0]["text"]  # the answer to what they wrote comes first
    assert chat.buttons()[:2] == ["ادامه", "نه، ممنون"]
    await chat.click("ادامه")
    assert "مرحله ۳ از" in chat.text() and "سربازی" in chat.text()


async def test_a_finished_guide_is_not_offered(stack, chat):
    await chat.say("چطوری پاسپورت بگیرم")
    while "مرحله بعد" in chat.buttons():
        await chat.click("مرحله بعد")
    back_date(stack.redis_url, chat.conversation_id, 2 * DAY)
    await chat.say("سلام")
    assert "دفعه قبل" not in chat.text()


async def test_a_form_left_is_offered_after_the_tracker_expired_and_starts_again(stack, chat):
    await chat.say("وضعیت پرونده")
    assert "کد پیگیری" in chat.text()
    expire(stack.redis_url, chat.conversation_id)
    await kept_days_ago(stack, chat.conversation_id, 29)

    await chat.say("سلام")
    assert chat.last[-1]["text"] == FORM_OFFER and chat.buttons()[:2] == ["ادامه", "نه، ممنون"], chat.text()
    await chat.click("ادامه")
    assert "کد پیگیری پرونده را بنویسید" in chat.text()
    assert chat.slots()["requested_slot"] == "tracking_code"


async def test_a_record_kept_31_days_ago_is_not_offered(stack, chat):
    await chat.say("وضعیت پرونده")
    expire(stack.redis_url, chat.conversation_id)
    await kept_days_ago(stack, chat.conversation_id, 31)
    await chat.say("سلام")
    assert "دفعه قبل" not in chat.text() and "من همیار هستم" in chat.text()


async def test_no_thanks_leads_to_the_menu(stack, chat):
    await chat.say("وضعیت پرونده")
    back_date(stack.redis_url, chat.conversation_id, 2 * DAY)
    await chat.say("سلام")
    await chat.click("نه، ممنون")
    assert "پیگیری پرونده" in chat.buttons() and "دفعه قبل" not in chat.text()
    back_date(stack.redis_url, chat.conversation_id, 2 * DAY)
    await chat.say("سلام")  # offered once
    assert "دفعه قبل" not in chat.text()
