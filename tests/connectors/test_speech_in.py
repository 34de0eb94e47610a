"""Voice in: a voice message gets the kind answer, or what was heard to confirm, and never reaches
Rasa as text before the citizen confirms it, whichever channel brings it; the recogniser is chosen
by configuration. A real Redis; Rasa is a closed port, so a turn that did reach it would be
answered with the gateway's error instead."""

from __future__ import annotations

import logging
from typing import Optional

import pytest

from connectors.generic import GenericBody, GenericSource, inbound
from connectors.models import InboundMessage
from connectors.rubika import inbound as rubika_inbound
from connectors.speech_in import NoRecogniser, TooLong, recogniser_from_env
from tests.connectors.test_router import router

__all__ = ["router"]  # the fixture (Rasa a closed port), used here by name
MENU = ["پیگیری پرونده", "وضعیت سامانه‌ها", "راهنمای کارها", "ثبت شکایت", "صحبت با اپراتور"]


def voice(**fields) -> InboundMessage:
    return InboundMessage(
        **{"channel": "telegram", "chat_id": "555", "user_id": "777", "message_id": "m1", "kind": "voice", **fields}
    )


async def test_a_voice_message_gets_the_kind_answer_with_the_menu_and_a_person(router, caplog):
    caplog.set_level(logging.INFO)
    [reply] = await router.handle(voice(audio=b"OggS...", audio_mime="audio/ogg"))
    assert "پیام صوتی شما رسید" in reply.text and "بنویسید" in reply.text and "زنگ بزند" in reply.text
    assert [b.title for b in reply.buttons] == MENU
    # «صحبت با اپراتور» is the desk's own way in (the queue, or a call-back outside office hours).
    person = await router.buttons.resolve("telegram:555", reply.buttons[-1].id)
    assert person is not None and person["payload"] == "/request_human"
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("gateway"))
    assert "voice message" in logged and "understood=False" in logged
    assert "555" not in logged and "777" not in logged and "OggS" not in logged


async def test_other_files_keep_their_own_answer(router):
    [reply] = await router.handle(voice(kind="unsupported"))
    assert "عکس یا فایل" in reply.text


class Heard:
    """A recogniser that understood the words given (the wiring behind the interface, without a model)."""

    listens = True

    def __init__(self, words: Optional[str]) -> None:
        self.words = words
        self.given: list[tuple[bytes, str]] = []

    async def transcribe(self, audio: bytes, mime: str) -> Optional[str]:
        self.given.append((audio, mime))
        return self.words

    async def close(self) -> None:
        return None


async def press(router, reply, title: str):
    [button] = [b for b in reply.buttons if b.title == title]
    return await router.handle(voice(kind="text", message_id=f"cb-{button.id}", button_id=button.id))


async def test_words_a_recogniser_understood_are_confirmed_before_they_go_on_as_typed(router, caplog):
    caplog.set_level(logging.INFO)
    router.recogniser = Heard("سامانه پاسپورت کار میکنه؟")
    [question] = await router.handle(voice(audio=b"OggS", audio_mime="audio/ogg"))
    # Not acted on: Rasa (a closed port here) was not asked, or this would be the error answer.
    assert question.text == "این را شنیدم: «سامانه پاسپورت کار میکنه؟». درست است؟"
    assert [b.title for b in question.buttons] == ["بله، همین", "نه، می‌نویسم", "منوی اصلی", "صحبت با اپراتور"]
    assert all(len(b.title) <= 24 for b in question.buttons)
    assert router.recogniser.given == [(b"OggS", "audio/ogg")]
    [reply] = await press(router, question, "بله، همین")
    assert "مشکلی در سامانه همیار" in reply.text  # now Rasa was asked, with the words
    # Taken: a second press of the same button finds nothing waiting.
    [again] = await press(router, question, "بله، همین")
    assert "دیگر پیش من نیست" in again.text
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "پاسپورت" not in logged and "555" not in logged


async def test_not_what_was_said_asks_for_it_in_writing_and_forgets_the_words(router, redis):
    router.recogniser = Heard("پرونده من چی شد")
    [question] = await router.handle(voice(audio=b"OggS"))
    assert await redis.ttl("hamyar:heard:telegram:555") > 60
    [reply] = await press(router, question, "نه، می‌نویسم")
    assert "بنویسید" in reply.text and "مشکلی" not in reply.text
    assert not await redis.exists("hamyar:heard:telegram:555")


async def test_the_sound_is_fetched_inside_the_turn_and_only_for_a_recogniser_that_listens(router):
    fetched: list[int] = []

    async def fetch() -> bytes:
        fetched.append(1)
        return b"OggS fetched"

    [reply] = await router.handle(voice(fetch_audio=fetch))
    assert "پیام صوتی شما رسید" in reply.text and not fetched  # NoRecogniser: nothing fetched
    router.recogniser = Heard("سلام")
    [reply] = await router.handle(voice(message_id="m2", fetch_audio=fetch))
    assert router.recogniser.given == [(b"OggS fetched", "audio/ogg")] and "شنیدم" in reply.text


async def test_a_sound_too_long_is_refused_kindly(router):
    async def too_long() -> bytes:
        raise TooLong()

    router.recogniser = Heard("سلام")
    [reply] = await router.handle(voice(fetch_audio=too_long))
    assert "از یک دقیقه بلندتر" in reply.text and [b.title for b in reply.buttons] == MENU
    assert router.recogniser.given == []


async def test_a_recogniser_that_understood_nothing_gets_the_kind_answer(router):
    router.recogniser = Heard("  ")
    [reply] = await router.handle(voice(audio=b"OggS"))
    assert "پیام صوتی شما رسید" in reply.text


def test_the_recogniser_comes_from_configuration():
    assert isinstance(recogniser_from_env({}), NoRecogniser)
    assert isinstance(recogniser_from_env({"HAMYAR_RECOGNISER": "none"}), NoRecogniser)
    with pytest.raises(ValueError, match="HAMYAR_RECOGNISER"):
        recogniser_from_env({"HAMYAR_RECOGNISER": "whisper-large"})


def test_the_audio_is_never_serialised():
    message = voice(audio=b"OggS")
    assert "audio" not in message.model_dump() and "OggS" not in repr(message)


def _rubika(file: dict) -> dict:
    return {
        "update": {
            "type": "NewMessage",
            "chat_id": "b0chat",
            "new_message": {"message_id": "9", "sender_id": "u0me", "file": file},
        }
    }


def test_rubika_tells_a_voice_from_other_files():
    voice_note = rubika_inbound(_rubika({"file_id": "1", "file_name": "voice.ogg", "size": 9000}))
    assert voice_note is not None and voice_note.kind == "voice"
    photo = rubika_inbound(_rubika({"file_id": "2", "file_name": "IMG_1.jpg", "size": 9000}))
    assert photo is not None and photo.kind == "unsupported"


def test_a_bridge_says_what_was_sent_instead_of_words():
    source = GenericSource(name="eitaa", secret="s" * 32, buttons=True, callback_url="")
    base = {"message_id": "1", "user_id": "u", "chat_id": "c"}
    for attachment in ("voice", "audio", "video_note"):
        assert inbound(source, GenericBody(**base, attachment=attachment), None).kind == "voice"
    assert inbound(source, GenericBody(**base, attachment="photo"), None).kind == "unsupported"
    # Words sent with it (a caption) are what the assistant reads.
    assert inbound(source, GenericBody(**base, text="سلام", attachment="voice"), None).kind == "text"
    assert inbound(source, GenericBody(**base, text="سلام"), None).kind == "text"
