"""Handoff codes through the whole assistant: an agent's code typed, opened by a messenger's
``/start`` link or by the web chat's ``?code=``, and refused kindly before Rasa when it is used,
expired or guessed."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import aiohttp
import pytest

from desk.codes import issue
from desk.db import make_engine, session_factory
from desk.models import CodeKind
from tests.integration import test_messenger as messenger_kit
from tests.integration.conftest import Chat
from tests.integration.test_conversations import MARYAM
from tests.integration.test_messenger import chat as new_chat_id
from tests.integration.test_messenger import deliver, message_update, settled

pytestmark = pytest.mark.integration
# A gateway with one messenger and the fake Bot API it talks to (tests/integration/test_messenger.py).
messenger = messenger_kit.messenger
NOTE = "عکس و شناسنامه را آماده کنید"


@pytest.fixture(autouse=True)
def same_database(stack, monkeypatch):
    # An in-process gateway (the messenger fixture) reads the stack's database.
    monkeypatch.setenv("DATABASE_URL", stack.env["DATABASE_URL"])


async def new_code(stack, kind: CodeKind, target: str | None = None, note: str = NOTE, age: timedelta = timedelta()) -> str:
    engine = make_engine(stack.env["DATABASE_URL"])
    try:
        async with session_factory(engine)() as session:
            row = await issue(session, kind, target, note, None, datetime.now(timezone.utc) - age)
            await session.commit()
            return row.code
    finally:
        await engine.dispose()


def user_turns(stack, conversation_id: str) -> list[str]:
    """What reached Rasa from the citizen."""
    try:
        events = stack.tracker(conversation_id)["events"]
    except Exception:  # no tracker: nothing reached Rasa
        return []
    return [e.get("text") or "" for e in events if e.get("event") == "user"]


async def test_a_typed_code_opens_the_guide_at_its_first_step_with_the_note(stack, chat):
    code = await new_code(stack, CodeKind.guide, "passport-new")
    await chat.say(code.replace("-", " ").lower())
    assert f"«{NOTE}»" in chat.text()
    assert chat.slots()["article_id"] == "passport-new" and chat.slots()["article_step"] == 0.0
    assert "مرحله بعد" in chat.buttons()


async def test_a_used_code_an_expired_one_and_a_sixth_guess_never_reach_rasa(stack, chat):
    code = await new_code(stack, CodeKind.guide, "passport-new")
    await chat.say(code)
    before = user_turns(stack, chat.conversation_id)
    await chat.say(code)
    assert "دیگر کار نمی‌کند" in chat.text()
    expired = await new_code(stack, CodeKind.complaint, age=timedelta(hours=25))
    await chat.say(expired)
    assert "دیگر کار نمی‌کند" in chat.text()
    for _ in range(3):  # with the two above, five wrong codes
        await chat.say("H-ZZZZZ")
        assert "پیدا نکردم" in chat.text()
    fresh = await new_code(stack, CodeKind.case)
    await chat.say(fresh)
    assert "مرکز تماس تماس بگیرید" in chat.text() and "پیدا نکردم" not in chat.text()
    assert user_turns(stack, chat.conversation_id) == before


async def test_a_case_code_still_asks_for_identity(stack, chat):
    code = await new_code(stack, CodeKind.case, note="")
    await chat.say(code)
    assert chat.slots()["requested_slot"] == "tracking_code"
    await chat.say(MARYAM["code"])
    assert chat.slots()["requested_slot"] == "national_id" and "وضعیت:" not in chat.text()
    assert not chat.slots().get("identity_verified")


async def test_the_web_chat_opened_with_a_code(stack):
    code = await new_code(stack, CodeKind.complaint)
    chat = await Chat(stack).open()
    try:
        await chat.send({"start": True, "code": code})
        assert f"«{NOTE}»" in chat.text()
        assert chat.stack.tracker(chat.conversation_id)["active_loop"].get("name") == "file_complaint_form"
        # The page reloaded with the same address: the code is not opened twice.
        assert (await chat.post({"start": True, "code": code}))["status"] == "duplicate"
    finally:
        await chat.close()


async def test_start_with_a_code_on_a_messenger_opens_the_complaint_form(stack, messenger):
    name, fake, url = messenger
    chat_id = new_chat_id()
    code = await new_code(stack, CodeKind.complaint)
    assert await deliver(url, name, message_update(chat_id, f"/start {code}")) == 200
    texts = await settled(fake, chat_id, 2)  # the notice and the agent's note, then the question
    assert any(f"«{NOTE}»" in t for t in texts)
    assert stack.tracker(f"{name}:{chat_id}")["active_loop"].get("name") == "file_complaint_form"


async def test_the_web_page_passes_its_code_along(stack):
    async with aiohttp.ClientSession() as session:
        async with session.get(stack.gateway + "/static/chat.js") as response:
            script = await response.text()
    assert 'get("code")' in script and "code: code" in script
