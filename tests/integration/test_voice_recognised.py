"""Voice in with the offline recogniser (HAMYAR_RECOGNISER=whisper-base), through the real stack:
a Telegram voice message (an espeak-ng clip from tests/connectors/speech_clips, served by the fake
Bot API's getFile) is heard by the real worker process, shown back for confirmation, and reaches
Rasa only after «بله، همین»."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.test_desk_handoff import user_turns
from tests.integration.test_messenger import button_update, chat, deliver, inline, message_update, messenger, settled
from tests.integration.test_voice_in import KIND

pytestmark = pytest.mark.integration
__all__ = ["messenger"]  # the fixture, used here by name
CLIPS = Path(__file__).parents[1] / "connectors" / "speech_clips"
HEARD = "این را شنیدم: «"


@pytest.fixture
def listening(monkeypatch):
    """The messenger gateway after it (fixtures start in the order a test names them) hears voices."""
    monkeypatch.setenv("HAMYAR_RECOGNISER", "whisper-base")


async def _heard(stack, messenger, clip: str) -> tuple[str, int, dict, int]:
    """A voice message of ``clip``: (the conversation, chat id, the confirmation, Rasa's turns before)."""
    name, fake, url = messenger
    chat_id = chat()
    fake.files[f"f{chat_id}"] = (CLIPS / clip).read_bytes()
    assert await deliver(url, name, message_update(chat_id, "سلام")) == 200
    texts = await settled(fake, chat_id)
    conversation = f"{name}:{chat_id}"
    turns = user_turns(stack, conversation)
    voice = {"file_id": f"f{chat_id}", "file_unique_id": f"u{chat_id}", "duration": 2, "mime_type": "audio/ogg"}
    assert await deliver(url, name, message_update(chat_id, voice=voice)) == 200
    texts = await settled(fake, chat_id, len(texts) + 1)
    assert texts[-1].startswith(HEARD) and texts[-1].endswith("». درست است؟"), texts[-1]
    assert texts[-1][len(HEARD) : -len("». درست است؟")].strip()  # some words were heard
    question = [m for m in fake.sent if m["chat_id"] == chat_id][-1]
    assert list(inline(question))[:2] == ["بله، همین", "نه، می‌نویسم"] and "صحبت با اپراتور" in inline(question)
    assert user_turns(stack, conversation) == turns  # nothing acted on before the citizen agrees
    return conversation, chat_id, question, turns


async def _answered(stack, messenger, clip: str, title: str) -> tuple[list[str], int]:
    """What the citizen got after pressing ``title`` under the confirmation of ``clip``, and how
    many turns Rasa got from it."""
    name, fake, url = messenger
    conversation, chat_id, question, turns = await _heard(stack, messenger, clip)
    before = len(fake.texts(chat_id))
    assert await deliver(url, name, button_update(chat_id, inline(question)[title])) == 200
    texts = await settled(fake, chat_id, before + 1)
    return texts[before:], user_turns(stack, conversation) - turns


async def test_heard_words_reach_rasa_once_confirmed(listening, stack, messenger):
    texts, turns = await _answered(stack, messenger, "clip03.ogg", "بله، همین")
    assert turns == 1 and texts and not any(KIND in t or t.startswith(HEARD) for t in texts)


async def test_not_what_was_said_asks_for_writing_and_rasa_gets_nothing(listening, stack, messenger):
    texts, turns = await _answered(stack, messenger, "clip02.ogg", "نه، می‌نویسم")
    assert turns == 0 and "بنویسید" in texts[-1]


async def test_a_voice_over_a_minute_is_refused_kindly_without_fetching_it(listening, stack, messenger):
    name, fake, url = messenger
    chat_id = chat()
    fake.files[f"f{chat_id}"] = (CLIPS / "clip01.ogg").read_bytes()
    voice = {"file_id": f"f{chat_id}", "file_unique_id": f"u{chat_id}", "duration": 95, "mime_type": "audio/ogg"}
    assert await deliver(url, name, message_update(chat_id, voice=voice)) == 200
    texts = await settled(fake, chat_id)
    assert "از یک دقیقه بلندتر" in texts[-1] and "getFile" not in fake.calls
