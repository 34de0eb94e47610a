"""Rubika through its own bot API (a local fake), with the real assistant behind the gateway."""

from __future__ import annotations

import asyncio
import itertools
import time

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from connectors.gateway import create_app
from connectors.settings import GatewaySettings
from tests.fakes.rubika_api import FakeRubikaApi
from tests.integration import sending
from tests.integration.conftest import close_within

pytestmark = pytest.mark.integration
SECRET = "r" * 24
_ids = itertools.count(int(time.time()) % 100000 * 1000)


@pytest.fixture
async def rubika(stack, tmp_path, monkeypatch):
    fake = FakeRubikaApi()
    api = TestServer(fake.app(), host="127.0.0.1")
    await api.start_server()
    channels = tmp_path / "channels.yml"
    channels.write_text(
        f"rubika:\n  token: 'TOKEN'\n  base_url: {str(api.make_url('/v3')).rstrip('/')}\n  webhook_secret: {SECRET}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("HAMYAR_CHANNELS", str(channels))
    settings = GatewaySettings(
        rasa_channel_token=stack.tokens["RASA_CHANNEL_TOKEN"],
        rasa_url=stack.rasa,
        redis_url=stack.redis_url,
        publish_content_on_start=False,
        public_url="https://hamyar.example",
    )
    gateway = TestServer(create_app(settings), host="127.0.0.1")
    await gateway.start_server()
    fake.redis_url = stack.redis_url  # for ``settled``
    yield fake, str(gateway.make_url("")).rstrip("/")
    await close_within(gateway)
    await close_within(api)


def new_message(chat_id: str, text: str | None = None, button_id: str | None = None) -> dict:
    return {
        "update": {
            "type": "NewMessage",
            "chat_id": chat_id,
            "new_message": {
                "message_id": str(next(_ids)),
                "text": text,
                "time": str(int(time.time())),
                "is_edited": False,
                "sender_type": "User",
                "sender_id": "u" + chat_id,
                "aux_data": {"start_id": None, "button_id": button_id},
            },
        }
    }


def inline_press(chat_id: str, button_id: str, text: str) -> dict:
    return {
        "inline_message": {
            "sender_id": "u" + chat_id,
            "text": text,
            "location": None,
            "aux_data": {"start_id": None, "button_id": button_id},
            "message_id": str(next(_ids)),
            "chat_id": chat_id,
        }
    }


async def deliver(url: str, body: dict, kind: str = "update", secret: str = SECRET) -> int:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{url}/webhooks/rubika/{secret}/{kind}", json=body) as response:
            return response.status


async def settled(fake: FakeRubikaApi, chat_id: str, count: int = 1, timeout: float = 60) -> list[str]:
    """The chat's texts once ``count`` have arrived and nothing more is queued or being sent."""
    return await sending.settled(fake.redis_url, f"rubika:{chat_id}", lambda: fake.texts(chat_id), count, timeout)


def inline_buttons(message: dict) -> dict[str, str]:
    rows = (message.get("inline_keypad") or {}).get("rows", [])
    return {b["button_text"]: b["id"] for row in rows for b in row["buttons"]}


async def test_conversation_with_keypads(rubika):
    fake, url = rubika
    assert fake.endpoints == {
        "ReceiveUpdate": f"https://hamyar.example/webhooks/rubika/{SECRET}/update",
        "ReceiveInlineMessage": f"https://hamyar.example/webhooks/rubika/{SECRET}/inline",
    }
    chat_id = f"b{next(_ids)}"
    assert await deliver(url, new_message(chat_id, "سلام")) == 200
    sent = await fake.wait_for_sent(2)
    assert sent[0]["chat_keypad_type"] == "New"
    assert [b["button_text"] for b in sent[0]["chat_keypad"]["rows"][0]["buttons"]] == ["منو", "اپراتور"]
    buttons = inline_buttons(sent[1])
    assert "وضعیت سامانه‌ها" in buttons
    assert await deliver(url, inline_press(chat_id, buttons["وضعیت سامانه‌ها"], "وضعیت سامانه‌ها"), kind="inline") == 200
    sent = await fake.wait_for_sent(3)
    assert "کدام سازمان" in sent[2]["text"]


async def test_wrong_secret_duplicates_and_retries(rubika):
    fake, url = rubika
    chat_id = f"b{next(_ids)}"
    update = new_message(chat_id, "سامانه پاسپورت کار میکنه؟")
    assert await deliver(url, update, secret="x" * 24) == 404
    fake.fail_next_send(api_status="TOO_REQUESTS")
    fake.fail_next_send(http_status=502, api_status="INTERNAL_PROBLEM")
    assert await deliver(url, update) == 200
    assert any("سامانه گذرنامه الان کار می‌کند" in text for text in await settled(fake, chat_id, 2))
    texts = await settled(fake, chat_id)
    assert await deliver(url, update) == 200
    assert fake.texts(chat_id) == texts


async def test_the_chat_keypad_buttons_answer(rubika):
    """«منو» and «اپراتور» under the text box (ids kb0, kb1) are the same for every message, and
    each tap does what it says rather than «این دکمه دیگر فعال نیست»."""
    fake, url = rubika
    chat_id = f"b{next(_ids)}"
    assert await deliver(url, new_message(chat_id, "سلام")) == 200
    before = len(await settled(fake, chat_id, 2))
    assert await deliver(url, new_message(chat_id, "منو", button_id="kb0")) == 200
    texts = await settled(fake, chat_id, before + 1)
    assert not any("دیگر فعال نیست" in text for text in texts[before:])
    assert any("وضعیت سامانه‌ها" in inline_buttons(m) for m in fake.sent[before:] if m["chat_id"] == chat_id)
    before = len(texts)
    assert await deliver(url, new_message(chat_id, "اپراتور", button_id="kb1")) == 200
    texts = await settled(fake, chat_id, before + 1)
    assert any("تماس بگیرید" in text for text in texts[before:])


QUESTIONS = ["سامانه کارت ملی مشکل داره؟", "چطوری گذرنامه بگیرم", "سامانه گواهینامه کار میکنه؟"]
_reference: list[list[str]] = []


async def reference(fake: FakeRubikaApi, url: str, count: int) -> list[list[str]]:
    """Each question's replies, asked one at a time in a chat of its own."""
    if not _reference:
        chat_id = f"b{next(_ids)}"
        for text in QUESTIONS:
            before = len(fake.texts(chat_id))
            assert await deliver(url, new_message(chat_id, text)) == 200
            _reference.append((await settled(fake, chat_id, before + 1))[before:])
    return _reference[:count]


@pytest.mark.parametrize(
    "case",
    ["two quick turns, a TOO_REQUESTS in the middle", "three quick turns", "the first update sent again"],
)
async def test_quick_turns_are_answered_in_order(rubika, case):
    """As on the messengers: each question comes while the answer before it is still going out,
    and every reply of a turn comes before the next turn's, none twice."""
    fake, url = rubika
    count = 3 if case == "three quick turns" else 2
    turns = await reference(fake, url, count)
    chat_id = f"b{next(_ids)}"
    updates = [new_message(chat_id, text) for text in QUESTIONS[:count]]
    if case == "the first update sent again":
        updates.insert(1, updates[0])
    calls = []
    for number, update in enumerate(updates):
        if number == 1 and "TOO_REQUESTS" in case:
            fake.fail_next_send(api_status="TOO_REQUESTS")
        before = len(fake.sent)
        calls.append(asyncio.create_task(deliver(url, update)))
        await fake.wait_for_sent(before + 1)  # the answer before the next question has begun
    assert await asyncio.gather(*calls) == [200] * len(updates)
    texts = await settled(fake, chat_id, sum(len(t) for t in turns))
    assert texts == [text for turn in turns for text in turn]
    sent_at = [m["at"] for m in fake.sent if m["chat_id"] == chat_id]
    assert all(later - earlier >= 0.9 for earlier, later in zip(sent_at, sent_at[1:]))  # a message a second
