"""Replies as voice: the words said, the OGG/Opus file and its cache, «🔊 بشنوید» and «همیشه صوتی»,
sendVoice and Rubika's upload against the local fakes, and the signed links the gateway serves.

Real espeak-ng and opusenc (Debian), a real Redis; Rasa is a closed port (its kind error answer
is a Rasa-less turn, so the Rasa turns here go through a stand-in ``RasaClient.turn``)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from itsdangerous import TimestampSigner

from connectors.keys import VOICE_LINKS
from connectors.messenger import MessengerAdapter, MessengerProfile
from connectors.models import InboundMessage, OutboundMessage
from connectors.rasa_client import RasaClient
from connectors.router import Router
from connectors.rubika import RubikaAdapter, RubikaProfile
from connectors.sendqueue import ChatQueues
from connectors.speech_text import number_words, ordinal_words, spoken
from connectors.voice import VoiceMaker, duration_seconds
from connectors.voice_links import PATH, VoiceLinks, serve
from connectors.voice_offer import VoiceOffer
from content.replies import Replies
from tests.conftest import free_port
from tests.fakes.bot_api import FakeBotApi
from tests.fakes.rubika_api import FakeRubikaApi

pytestmark = pytest.mark.skipif(not VoiceMaker().engine.available(), reason="espeak-ng and opus-tools (Debian) are needed")


# --- the words said -------------------------------------------------------------------------


def test_a_code_and_a_phone_are_read_digit_by_digit():
    assert spoken("کد پیگیری: ۱۴۰۵-۰۰۳۲") == "کد پیگیری: یک چهار صفر پنج، صفر صفر سه دو"
    assert spoken("۰۹۱۲ ۳۴۵ ۶۷۸۹") == "صفر نه یک دو، سه چهار پنج، شش هفت هشت نه"
    assert spoken("کد ملی 0012345678") == "کد ملی صفر صفر یک دو سه چهار پنج شش هفت هشت"


def test_amounts_and_counts_are_numbers():
    assert spoken("۲٬۵۰۰٬۰۰۰ تومان") == "دو میلیون و پانصد هزار تومان"
    assert spoken("مرحله ۳ از ۱۲") == "مرحله سه از دوازده"
    assert number_words(1405) == "هزار و چهارصد و پنج"
    assert number_words(1_000_001) == "یک میلیون و یک"


def test_five_digits_make_a_code_and_fewer_a_number():
    assert spoken("کد ۱۲۳۴۵") == "کد یک دو سه چهار پنج"
    assert spoken("سال ۱۴۰۵") == "سال هزار و چهارصد و پنج"
    assert spoken("شماره ۰۲۱۶۶۱۲۳۴۵۶") == "شماره صفر دو یک شش شش یک دو سه چهار پنج شش"
    # Counts side by side are not a code: too few digits.
    assert spoken("از ۹ تا ۱۴ ۳۰ نفر") == "از نه تا چهارده سی نفر"
    # Money without separators is still an amount; a code before «تومان» is still a code.
    assert spoken("۵۰۰۰۰ تومان") == "پنجاه هزار تومان"
    assert spoken("۱۲۰۰۰۰۰ ریال") == "یک میلیون و دویست هزار ریال"
    assert spoken("H-1405-2000 تومان") == "H، یک چهار صفر پنج، دو صفر صفر صفر تومان"


def test_jalali_dates_are_said_in_words():
    assert spoken("۱۵ مهر ۱۴۰۵") == "پانزدهم مهر هزار و چهارصد و پنج"
    assert spoken("از ۱ فروردین") == "از اول فروردین"
    assert spoken("1403/09/23") == "بیست و سوم آذر هزار و چهارصد و سه"
    assert [ordinal_words(n) for n in (3, 13, 20)] == ["سوم", "سیزدهم", "بیستم"]


def test_symbols_are_not_said():
    assert spoken("🔊 بشنوید • «منو»") == "بشنوید منو"


# --- the file and its cache ------------------------------------------------------------------


async def test_a_reply_becomes_a_valid_ogg_opus_file_once(tmp_path):
    maker = VoiceMaker(tmp_path)
    first = await maker.ogg("پرونده شما با کد ۱۴۰۵۱۲ در حال بررسی است.")
    data = first.read_bytes()
    assert data[:4] == b"OggS" and b"OpusHead" in data[:64]
    length = duration_seconds(first)
    assert length is not None and 1.0 < length < 20.0
    again = await maker.ogg("پرونده شما با کد ۱۴۰۵۱۲ در حال بررسی است.")
    assert again == first and maker.synthesised == 1  # the second call made nothing
    await maker.ogg("متن دیگری")
    assert maker.synthesised == 2


async def test_the_cache_keeps_within_its_cap(tmp_path):
    maker = VoiceMaker(tmp_path, max_bytes=1)
    await maker.ogg("اول")
    await maker.ogg("دوم")
    assert [p.name for p in tmp_path.glob("*.ogg")] == [maker.path_for("دوم").name]


# --- the offer, through the router ----------------------------------------------------------


class Rasa(RasaClient):
    """Rasa's answer to every turn: two messages, as a case answer and its question."""

    async def turn(self, conversation_id, message_id, text, payload, metadata):  # type: ignore[override]
        return [
            {"text": "پرونده شما با کد ۱۴۰۵۱۲ در حال بررسی است."},
            {"text": "کار دیگری هست؟", "buttons": [{"title": "منو", "payload": "/help"}]},
        ]


@pytest.fixture
async def router(redis):
    rasa = Rasa(f"http://127.0.0.1:{free_port()}", "token", timeout_seconds=2)
    router = Router(redis, rasa, Replies())
    router.voice = VoiceOffer(redis, Replies(), router.buttons, {"web", "telegram", "rubika"})
    yield router
    await rasa.close()


def said(channel: str = "web", chat: str = "c1", user: str = "u1", **fields) -> InboundMessage:
    return InboundMessage(
        **{"channel": channel, "chat_id": chat, "user_id": user, "message_id": str(time.monotonic_ns()), **fields}
    )


async def test_every_answer_offers_listening_on_its_last_message(router):
    for channel in ("web", "telegram", "rubika"):
        replies = await router.handle(said(channel, text="پرونده"))
        assert [b.title for b in replies[-1].buttons] == ["منو", "🔊 بشنوید"]
        assert replies[0].buttons == [] and not any(r.speak for r in replies)
    # A generic bridge gets a link to each reply's voice instead (connectors/generic.py).
    assert [b.title for b in (await router.handle(said("sms", text="پرونده")))[-1].buttons] == ["منو"]


async def test_listening_sends_the_turn_before_as_voice(router):
    replies = await router.handle(said(text="پرونده"))
    heard = await router.handle(said(button_id=replies[-1].buttons[-1].id))
    assert len(heard) == 1 and heard[0].text == ""
    assert heard[0].speak == "پرونده شما با کد ۱۴۰۵۱۲ در حال بررسی است.\nکار دیگری هست؟"
    assert [b.title for b in heard[0].buttons] == ["همیشه صوتی"]


async def test_always_by_voice_is_remembered_in_a_new_session(router, redis):
    replies = await router.handle(said(text="پرونده"))
    heard = await router.handle(said(button_id=replies[-1].buttons[-1].id))
    (on,) = await router.handle(said(button_id=heard[0].buttons[0].id))
    assert on.speak == on.text == "از این به بعد هر پاسخ را صوتی هم می‌فرستم."
    assert 300 * 24 * 3600 < await redis.ttl("hamyar:voice:always:web:u1")
    # Another conversation of the same citizen (a new session, days later): every answer speaks.
    later = await router.handle(said(chat="c2", text="پرونده"))
    assert later[-1].speak and "۱۴۰۵۱۲" in later[-1].speak
    assert [b.title for b in later[-1].buttons] == ["منو", "فقط نوشته"]
    # Someone else is not affected; «فقط نوشته» turns it off.
    assert not (await router.handle(said(chat="c3", user="u2", text="پرونده")))[-1].speak
    await router.handle(said(chat="c2", button_id=later[-1].buttons[-1].id))
    assert not (await router.handle(said(chat="c2", text="پرونده")))[-1].speak


# --- where the voice goes -------------------------------------------------------------------


async def test_send_voice_reaches_the_bot_api(redis, tmp_path):
    fake = FakeBotApi()
    api = TestServer(fake.app(), host="127.0.0.1")
    await api.start_server()
    base = str(api.make_url("")).rstrip("/")
    profile = MessengerProfile("telegram", "123:ABC", f"{base}/bot", f"{base}/file/bot", "webhook", "s" * 24, True)
    rasa = RasaClient(f"http://127.0.0.1:{free_port()}", "token", timeout_seconds=2)
    adapter = MessengerAdapter(profile, Router(redis, rasa, Replies()), ChatQueues(redis), Replies(), voice=VoiceMaker(tmp_path))
    await adapter.start()
    try:
        await adapter.send_one(
            "42", OutboundMessage(text="", speak="کد شما ۱۲۳۴۵ است.", buttons=[{"id": "b1", "title": "همیشه صوتی"}])
        )
        await adapter.send_one("42", OutboundMessage(text="سلام", speak="سلام"))
    finally:
        await adapter.stop()
        await rasa.close()
        await api.close()
    assert [m for m, _, _ in fake.chat_log(42)] == ["sendVoice", "sendMessage", "sendVoice"]
    assert all(v["ogg"][:4] == b"OggS" for v in fake.voices)
    assert "همیشه صوتی" in str(fake.voices[0]["reply_markup"])


async def test_rubika_uploads_the_voice_and_sends_the_file(redis, tmp_path):
    fake = FakeRubikaApi()
    api = TestServer(fake.app(), host="127.0.0.1")
    await api.start_server()
    profile = RubikaProfile("tok", str(api.make_url("/v3")), "s" * 24)
    rasa = RasaClient(f"http://127.0.0.1:{free_port()}", "token", timeout_seconds=2)
    adapter = RubikaAdapter(profile, Router(redis, rasa, Replies()), ChatQueues(redis), Replies(), voice=VoiceMaker(tmp_path))
    try:
        await adapter.send_one(
            "c9", OutboundMessage(text="", speak="کد شما ۱۲۳۴۵ است.", buttons=[{"id": "b1", "title": "همیشه صوتی"}])
        )
    finally:
        await adapter.stop()
        await rasa.close()
        await api.close()
    (sent,) = fake.sent
    assert fake.uploads[sent["file_id"]][:4] == b"OggS"
    assert sent["inline_keypad"]["rows"][0]["buttons"][0]["button_text"] == "همیشه صوتی"


# --- signed links ---------------------------------------------------------------------------


@pytest.fixture
async def links(redis, tmp_path):
    signer = TimestampSigner("k" * 32, salt="hamyar.voice.link")
    links = VoiceLinks(redis, signer, VoiceMaker(tmp_path), lifetime_seconds=60)
    app = web.Application()
    app[VOICE_LINKS] = links
    app.router.add_get(PATH, serve)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    yield links, client
    await client.close()


async def test_a_signed_link_plays_the_voice(links):
    voices, client = links
    url = await voices.url("کد شما ۱۲۳۴۵ است.")
    response = await client.get(url)
    assert response.status == 200 and response.headers["Content-Type"] == "audio/ogg"
    assert (await response.read())[:4] == b"OggS"


async def test_a_tampered_link_is_forbidden_and_an_old_one_gone(links, monkeypatch):
    voices, client = links
    url = await voices.url("کد شما ۱۲۳۴۵ است.")
    token = url.removeprefix("/voice/").removesuffix(".ogg")
    tampered = ("0" if token[0] != "0" else "1") + token[1:]
    assert (await client.get(PATH.format(token=tampered))).status == 403
    assert (await client.get(PATH.format(token=token[:-2] + "xx"))).status == 403
    # Signed a little over the lifetime ago: itsdangerous reads the time from the token.
    monkeypatch.setattr(time, "time", lambda real=time.time: real() - 120)
    old = await voices.url("کد شما ۱۲۳۴۵ است.")
    monkeypatch.undo()
    assert (await client.get(old)).status == 410


async def test_a_turns_links_keep_their_words_in_one_round_trip(links, redis_sent):
    voices, client = links
    before = len(redis_sent)
    first, second = await voices.urls(["سلام.", "کد شما ۱۲۳۴۵ است."])
    assert redis_sent[before:] == [["SET", "SET"]]  # no command of its own: both words in one pipeline
    for url, words in ((first, "سلام."), (second, "کد شما ۱۲۳۴۵ است.")):
        token = url.removeprefix("/voice/").removesuffix(".ogg")
        assert await voices.words(token) == words
    assert (await client.get(second)).status == 200


def test_the_openapi_file_describes_the_audio():
    text = (Path(__file__).resolve().parents[2] / "connectors" / "openapi-webhooks.yaml").read_text(encoding="utf-8")
    assert "audio/ogg" in text and "/voice/{token}.ogg" in text


async def test_a_texts_name_is_made_once_for_its_words_and_its_link(links, redis, monkeypatch):
    voices, _ = links
    made: list[str] = []
    path_for = voices.maker.path_for
    monkeypatch.setattr(voices.maker, "path_for", lambda text: made.append(text) or path_for(text))
    texts = ["منوی اصلی را ببینید.", "کد شما ۱۲۳۴۵ است."]
    for _ in range(3):  # three turns saying the same
        async with redis.pipeline(transaction=True) as writes:
            voices.keep_in(writes, texts)
            await writes.execute()
        urls = voices.signed(texts)
    assert made == texts
    for url, words in zip(urls, texts):
        assert await voices.words(url.removeprefix("/voice/").removesuffix(".ogg")) == words
