"""At most two messages a turn, through the whole stack: the answer, then the question with its
buttons. Every web chat turn of every integration test is held to it (``Chat.send`` in
conftest.py: the complaint, the desk and the bending journeys too); these walk the main journeys
and check what each message holds. The fold itself: tests/connectors/test_rendering.py."""

from __future__ import annotations

import pytest

from tests.integration.test_conversations import look_up_verified

pytestmark = pytest.mark.integration


async def test_first_contact_is_the_short_notice_then_the_menu(chat):
    await chat.send({"start": True})
    notice, menu = chat.last
    assert "نگه می‌دارد" in notice["text"] and len(notice["text"]) < 120
    assert "پیگیری پرونده" in [b["title"] for b in menu["buttons"]]
    await chat.click("بیشتر بدانید")
    assert "خداحافظ" in chat.text()  # the privacy article tells the whole notice


async def test_a_case_lookup_with_its_identity_check(chat):
    await look_up_verified(chat)
    answer, question = chat.last
    assert all(words in answer["text"] for words in ("وضعیت:", "آخرین تغییر:", "قدم بعدی:", "محل پیگیری:"))
    assert {"خبرم کن", "پرونده دیگر", "منوی اصلی"} <= {b["title"] for b in question["buttons"]}


async def test_a_service_status_with_its_restore_time(chat):
    await chat.say("سامانه گواهینامه کار میکنه؟")
    answer, question = chat.last
    assert "از کار افتاده" in answer["text"] and "زمان تقریبی درست شدن" in answer["text"]
    assert "سامانه دیگر" in [b["title"] for b in question["buttons"]]


# Journeys as the citizen's steps: («say» typed text, or «click» a button), with words the last
# reply must hold.
JOURNEYS = {
    "a guide, the menu and an aside inside a form": (
        [("say", "چطوری پاسپورت بگیرم؟"), ("click", "مرحله بعد"), ("say", "منو")]
        + [("say", "میخوام پرونده مو پیگیری کنم"), ("say", "سایت پاسپورت کار میکنه؟")],
        "سامانه گذرنامه",
    ),
    "a person asked for while the desk is closed, and a call-back": (
        [("say", "میخوام با اپراتور حرف بزنم"), ("click", "بله، با من تماس بگیرید")]
        + [("say", "۰۹۱۲۱۰۰۰۱۰۱"), ("click", "هر وقت")],
        "درخواست تماس شما ثبت شد",
    ),
}


@pytest.mark.parametrize("journey", list(JOURNEYS))
async def test_a_journey_is_two_messages_a_turn(chat, journey):
    steps, last_words = JOURNEYS[journey]
    for kind, words in steps:
        await (chat.say(words) if kind == "say" else chat.click(words))
    assert last_words in chat.text()
    await chat.say("خداحافظ")
