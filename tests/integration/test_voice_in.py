"""Voice in, through the real stack: a citizen's voice message on Telegram (the real
python-telegram-bot against the local fake Bot API) and on a generic bridge gets the kind answer
with the menu and a person, and Rasa gets no turn. (The web chat page cannot record or send
audio, so it has no voice message to answer.)"""

from __future__ import annotations

import pytest

from tests.integration.conftest import VOICE_TITLES
from tests.integration.test_desk_handoff import user_turns
from tests.integration.test_generic_webhook import Bridge
from tests.integration.test_messenger import button_update, chat, deliver, inline, message_update, messenger, settled

pytestmark = pytest.mark.integration
__all__ = ["messenger"]  # the fixture, used here by name
KIND = "پیام صوتی شما رسید"
MENU = ["پیگیری پرونده", "وضعیت سامانه‌ها", "راهنمای کارها", "ثبت شکایت", "صحبت با اپراتور"]
HEAR = VOICE_TITLES[0]
VOICE = {"file_id": "v1", "file_unique_id": "uv1", "duration": 3, "mime_type": "audio/ogg"}


async def test_a_telegram_voice_message_gets_the_kind_answer_and_no_rasa_turn(stack, messenger):
    name, fake, url = messenger
    chat_id = chat()
    assert await deliver(url, name, message_update(chat_id, "سلام")) == 200
    texts = await settled(fake, chat_id)
    conversation = f"{name}:{chat_id}"
    turns = user_turns(stack, conversation)
    for extra in (
        {"voice": VOICE},
        {"audio": {**VOICE, "file_id": "a1", "file_unique_id": "ua1"}},
        {"video_note": {"file_id": "n1", "file_unique_id": "un1", "length": 240, "duration": 3}},
    ):
        before = len(texts)
        assert await deliver(url, name, message_update(chat_id, **extra)) == 200
        texts = await settled(fake, chat_id, before + 1)
        assert len(texts) == before + 1 and KIND in texts[-1]
        answer = [m for m in fake.sent if m["chat_id"] == chat_id][-1]
        # The menu, and the answer offered aloud: whoever speaks may read poorly.
        assert list(inline(answer)) == [*MENU, HEAR]
    assert user_turns(stack, conversation) == turns  # Rasa never saw them
    # «صحبت با اپراتور» goes on to a person, as everywhere else.
    before = len(texts)
    assert await deliver(url, name, button_update(chat_id, inline(answer)["صحبت با اپراتور"])) == 200
    texts = await settled(fake, chat_id, before + 1)
    assert user_turns(stack, conversation) == turns + 1
    assert any("کارشناس" in text for text in texts[before:])


async def test_a_bridge_voice_message_gets_the_kind_answer_and_no_rasa_turn(stack):
    eitaa = Bridge(stack, "eitaa")
    await eitaa.send(text="سلام")
    conversation = f"eitaa:{eitaa.chat_id}"
    turns = user_turns(stack, conversation)
    answer = await eitaa.send(attachment="voice")
    [reply] = answer["replies"]
    assert KIND in reply["text"] and [b["title"] for b in reply["buttons"]] == MENU
    assert user_turns(stack, conversation) == turns
    # On SMS (no buttons), the same options come numbered.
    sms = Bridge(stack, "sms")
    answer = await sms.send(attachment="video_note")
    assert KIND in Bridge.text(answer) and "۵. صحبت با اپراتور" in Bridge.text(answer)
    # A photo keeps its own answer.
    answer = await eitaa.send(attachment="photo")
    assert "عکس یا فایل" in Bridge.text(answer)
    assert user_turns(stack, conversation) == turns
