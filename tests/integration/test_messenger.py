"""Telegram, Bale and Soroush Plus through the real python-telegram-bot, against a local fake of
the Bot API over HTTP, with the real assistant behind the gateway."""

from __future__ import annotations

import asyncio
import itertools
import time

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from connectors.gateway import create_app
from connectors.settings import GatewaySettings
from tests.fakes.bot_api import FakeBotApi
from tests.integration import sending
from tests.integration.conftest import close_within

pytestmark = pytest.mark.integration
SECRET = "s" * 24
ADMIN = "admin-" + "a" * 20
_ids = itertools.count(int(time.time()) % 100000 * 100)


@pytest.fixture
async def messenger(stack, tmp_path, monkeypatch, request):
    """A gateway with one messenger profile, and the fake Bot API it talks to."""
    name, mode = getattr(request, "param", ("telegram", "webhook"))
    fake = FakeBotApi(profile=name)
    api = TestServer(fake.app(), host="127.0.0.1")
    await api.start_server()
    base = str(api.make_url("")).rstrip("/")
    channels = tmp_path / "channels.yml"
    channels.write_text(
        f"messengers:\n  - name: {name}\n    token: '123:ABC'\n    base_url: {base}/bot\n    base_file_url: {base}/file/bot\n"
        f"    mode: {mode}\n    webhook_secret: {SECRET}\n    secret_header: {'true' if name == 'telegram' else 'false'}\n"
        f"announcement_channels:\n  - via: {name}\n    chat_id: '@hamyar_news'\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("HAMYAR_CHANNELS", str(channels))
    # Its own Redis database: a notice queue is shared by gateways configured alike, and this one's
    # announcement channel is not the stack gateway's.
    redis_url = fake.redis_url = stack.redis_url.rsplit("/", 1)[0] + "/2"
    settings = GatewaySettings(
        rasa_channel_token=stack.tokens["RASA_CHANNEL_TOKEN"],
        rasa_url=stack.rasa,
        redis_url=redis_url,
        publish_content_on_start=False,
        public_url="https://hamyar.example",
        hamyar_admin_token=ADMIN,
    )
    gateway = TestServer(create_app(settings), host="127.0.0.1")
    await gateway.start_server()
    yield name, fake, str(gateway.make_url("")).rstrip("/")
    await close_within(gateway)
    await close_within(api)


def message_update(chat_id: int, text: str | None = None, user_id: int | None = None, **extra) -> dict:
    update_id = next(_ids)
    message = {
        "message_id": update_id,
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private"},
        "from": {"id": user_id or chat_id, "is_bot": False, "first_name": "مریم"},
        **extra,
    }
    if text is not None:
        message["text"] = text
    return {"update_id": update_id, "message": message}


def button_update(chat_id: int, data: str) -> dict:
    update_id = next(_ids)
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"q{update_id}",
            "chat_instance": "i",
            "data": data,
            "from": {"id": chat_id, "is_bot": False, "first_name": "مریم"},
            "message": {"message_id": 1, "date": int(time.time()), "chat": {"id": chat_id, "type": "private"}, "text": "x"},
        },
    }


async def deliver(url: str, name: str, update: dict, secret: str = SECRET, header: str | None = SECRET) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": header} if header else {}
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{url}/webhooks/messenger/{name}/{secret}", json=update, headers=headers) as response:
            return response.status


def inline(message: dict) -> dict[str, str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return {b["text"]: b["callback_data"] for row in rows for b in row}


def chat() -> int:
    return next(_ids)


async def settled(fake: FakeBotApi, chat_id: int, count: int = 1, timeout: float = 60) -> list[str]:
    """The chat's texts once ``count`` have arrived and nothing more is queued or being sent."""
    return await sending.settled(fake.redis_url, f"{fake.profile}:{chat_id}", lambda: fake.texts(chat_id), count, timeout)


async def test_conversation_with_buttons_and_the_reply_keyboard(messenger):
    name, fake, url = messenger
    chat_id = chat()
    assert fake.webhook["url"] == f"https://hamyar.example/webhooks/messenger/{name}/{SECRET}"
    assert fake.webhook["secret_token"] == SECRET
    assert await deliver(url, name, message_update(chat_id, "/start")) == 200
    sent = await fake.wait_for_sent(2)
    assert "نگه می‌دارد" in sent[0]["text"]
    # «منو» and «اپراتور» stay under the text box; options are inline buttons.
    assert [b["text"] for b in sent[0]["reply_markup"]["keyboard"][0]] == ["منو", "اپراتور"]
    buttons = inline(sent[1])
    assert "وضعیت سامانه‌ها" in buttons and all(len(v.encode()) <= 64 for v in buttons.values())
    assert await deliver(url, name, button_update(chat_id, buttons["وضعیت سامانه‌ها"])) == 200
    sent = await fake.wait_for_sent(3)
    assert "کدام سازمان" in sent[2]["text"] and "پلیس +۱۰" in inline(sent[2])
    assert "answerCallbackQuery" in fake.calls


async def test_duplicate_updates_are_answered_once_and_bad_secrets_refused(messenger):
    name, fake, url = messenger
    update = message_update(chat(), "سلام")
    assert await deliver(url, name, update, secret="wrong-secret-wrong-secret") == 404
    assert await deliver(url, name, update, header="wrong") == 404
    assert await deliver(url, name, update) == 200
    count = len(await fake.wait_for_sent(1))
    assert await deliver(url, name, update) == 200
    assert len(fake.sent) == count


async def test_rate_limit_and_send_failures_are_retried(messenger):
    name, fake, url = messenger
    chat_id = chat()
    fake.fail_next("sendMessage", 429, {"retry_after": 1})
    fake.fail_next("sendMessage", 502)
    started = time.monotonic()
    assert await deliver(url, name, message_update(chat_id, "سامانه پاسپورت کار میکنه؟")) == 200
    await settled(fake, chat_id)
    assert any("سامانه گذرنامه الان کار می‌کند" in text for text in fake.texts(chat_id))
    assert time.monotonic() - started >= 1  # retry_after was honoured
    assert fake.calls.count("sendMessage") >= len(fake.texts(chat_id)) + 2


async def test_replies_that_cannot_be_sent_yet_go_out_later_in_order(messenger):
    """The Bot API fails for longer than one send's retries: the replies wait in the chat's
    queue and go out when it is back, first to last; the messenger need not retry."""
    name, fake, url = messenger
    chat_id = chat()
    for _ in range(6):  # every attempt of the first send fails, and the next send's first two
        fake.fail_next("sendMessage", 502)
    update = message_update(chat_id, "سلام")
    assert await deliver(url, name, update) == 200
    texts = await settled(fake, chat_id)
    assert "نگه می‌دارد" in texts[0] and len(set(texts)) == len(texts) >= 2  # none twice
    assert await deliver(url, name, update) == 200  # a late retry of the update sends nothing
    assert fake.texts(chat_id) == texts


async def test_own_contact_is_trusted_and_photos_get_a_kind_answer(messenger):
    name, fake, url = messenger
    chat_id = chat()
    await deliver(url, name, message_update(chat_id, "پرونده 7140508213457 چی شد"))
    await deliver(url, name, message_update(chat_id, "0016383230"))
    await settled(fake, chat_id, 3)
    ask = [m for m in fake.sent if m["chat_id"] == chat_id][-1]
    assert "موبایل" in ask["text"] and ask["reply_markup"]["keyboard"][0][0]["request_contact"] is True
    before = len(fake.texts(chat_id))
    forwarded = {"phone_number": "+989121000101", "first_name": "M", "user_id": 999}
    await deliver(url, name, message_update(chat_id, contact=forwarded))
    texts = await settled(fake, chat_id, before + 1)
    assert not any("وضعیت:" in text for text in texts[before:])
    own = {"phone_number": "+989121000101", "first_name": "M", "user_id": chat_id}
    before = len(texts)
    await deliver(url, name, message_update(chat_id, contact=own))
    texts = await settled(fake, chat_id, before + 2)
    assert any("وضعیت: در حال بررسی" in text for text in texts[before:])
    before = len(texts)
    await deliver(url, name, message_update(chat_id, photo=[{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]))
    texts = await settled(fake, chat_id, before + 1)
    assert "عکس یا فایل را نمی‌توانم ببینم" in texts[before]


async def test_deep_link_opens_a_guide(messenger):
    name, fake, url = messenger
    await deliver(url, name, message_update(chat(), "/start guide-passport-new"))
    sent = await fake.wait_for_sent(2)  # the notice and the guide's title, then its first step
    assert "مرحله ۱ از" in sent[-1]["text"]


@pytest.mark.parametrize("messenger", [("bale", "webhook")], indirect=True)
async def test_bale_without_the_secret_header(messenger):
    name, fake, url = messenger
    assert "secret_token" not in fake.webhook
    assert await deliver(url, name, message_update(chat(), "سلام"), header=None) == 200
    assert await fake.wait_for_sent(1)


@pytest.mark.parametrize("messenger", [("splus", "polling")], indirect=True)
async def test_polling_mode(messenger):
    name, fake, url = messenger
    fake.push_update(message_update(chat(), "میخوام با اپراتور حرف بزنم"))
    sent = await fake.wait_for_sent(2)  # the notice and the answer, then the call-back offer
    assert any("تماس بگیرید" in m["text"] for m in sent)


async def test_announcement_to_a_messenger_channel(messenger):
    name, fake, url = messenger
    text = "سامانه گواهینامه امشب از ساعت ۲۲ تا ۲۴ در دسترس نیست."
    async with aiohttp.ClientSession() as session:
        admin = {"Authorization": f"Bearer {ADMIN}", "Idempotency-Key": f"channel-test-{next(_ids)}"}
        async with session.post(
            f"{url}/admin/announcements", json={"text": text, "subscribers": False}, headers=admin
        ) as response:
            assert response.status == 202
            report = await response.json()
        await fake.wait_for_sent(1)
        deadline = time.monotonic() + 10
        while report["status"] != "done" and time.monotonic() < deadline:  # settled right after its last send
            async with session.get(f"{url}/admin/announcements/{report['id']}", headers=admin) as response:
                report = await response.json()
    assert report["subscribers"] == {"total": 0, "sent": 0, "failed": 0, "pending": 0}
    assert report["channels"] == [{"via": name, "chat_id": "@hamyar_news", "state": "sent"}]
    assert [m["chat_id"] for m in fake.sent if m["text"] == text] == ["@hamyar_news"]


async def test_announcement_command_line(messenger):
    import asyncio
    import os
    import subprocess
    import sys

    name, fake, url = messenger
    command = [sys.executable, "-m", "notifications.announcements", "اطلاعیه آزمایشی", "--no-subscribers", "--gateway", url]
    # A plain subprocess in a worker thread: the gateway under test keeps running on this loop.
    result = await asyncio.to_thread(
        subprocess.run,
        command,
        env={**os.environ, "HAMYAR_ADMIN_TOKEN": ADMIN},
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert '"state": "sent"' in result.stdout
    assert any(m["text"] == "اطلاعیه آزمایشی" for m in fake.sent)


# Three quick turns whose answers take several messages each (issue 24's report).
QUICK_TURNS = ["سامانه کارت ملی مشکل داره؟", "چطوری گذرنامه بگیرم", "سامانه گواهینامه کار میکنه؟"]
_reference: dict[str, list[list[str]]] = {}


async def reference(messenger, count: int) -> list[list[str]]:
    """Each quick turn's replies, asked one at a time in a chat of its own (waiting for each
    turn's last reply before the next question)."""
    name, fake, url = messenger
    if name not in _reference:
        chat_id, turns = chat(), []
        for text in QUICK_TURNS:
            before = len(fake.texts(chat_id))
            call = await say(messenger, chat_id, message_update(chat_id, text))
            if call is not None:
                await call
            turns.append((await settled(fake, chat_id, before + 1))[before:])
        _reference[name] = turns
    return _reference[name][:count]


async def say(messenger, chat_id: int, update: dict) -> asyncio.Task | None:
    """The citizen sends ``update``: a webhook call (its task), or an update polling fetches."""
    name, fake, url = messenger
    if not fake.webhook:
        fake.push_update(update)
        return None

    async def call() -> None:
        assert await deliver(url, name, update) == 200

    return asyncio.create_task(call())


async def quick_turns(messenger, updates: list[dict], chat_id: int) -> None:
    """Each update right after the chat's previous message arrived: the next question comes while
    the answer before it is still going out at one message a second."""
    name, fake, url = messenger
    calls = []
    for update in updates:
        before = len(fake.texts(chat_id))
        calls.append(await say(messenger, chat_id, update))
        if len(fake.texts(chat_id)) == before:
            await fake.wait_for_sent(len(fake.sent) + 1)
    await asyncio.gather(*[call for call in calls if call is not None])


def assert_in_turn_order(fake: FakeBotApi, chat_id: int, turns: list[list[str]]) -> None:
    # Every reply of a turn before any of the next: none lost, none twice, none overtaken.
    assert fake.texts(chat_id) == [text for turn in turns for text in turn]
    log = fake.chat_log(chat_id)
    assert log[0][0] == "sendMessage"  # the first reply at once, not after "typing…"
    sent_at = [at for method, _, at in log if method == "sendMessage"]
    assert all(later - earlier >= 0.9 for earlier, later in zip(sent_at, sent_at[1:]))  # a message a second
    assert ("sendChatAction", "typing") in [(method, text) for method, text, _ in log]


MODES = [("telegram", "webhook"), ("splus", "polling")]


@pytest.mark.parametrize("messenger", MODES, indirect=True)
@pytest.mark.parametrize("count", [2, 3])
async def test_quick_turns_are_answered_in_order(messenger, count):
    name, fake, url = messenger
    turns = await reference(messenger, count)
    chat_id = chat()
    await quick_turns(messenger, [message_update(chat_id, text) for text in QUICK_TURNS[:count]], chat_id)
    await settled(fake, chat_id, sum(len(t) for t in turns))
    assert_in_turn_order(fake, chat_id, turns)


@pytest.mark.parametrize("messenger", MODES, indirect=True)
async def test_order_holds_through_a_429_in_the_middle(messenger):
    name, fake, url = messenger
    turns = await reference(messenger, 2)
    chat_id = chat()
    fake.fail_next("sendMessage", 429, {"retry_after": 2}, after=1)  # the turn's second message
    await quick_turns(messenger, [message_update(chat_id, text) for text in QUICK_TURNS[:2]], chat_id)
    await settled(fake, chat_id, sum(len(t) for t in turns))
    assert_in_turn_order(fake, chat_id, turns)


@pytest.mark.parametrize("messenger", MODES, indirect=True)
async def test_order_holds_when_the_first_update_comes_again(messenger):
    """The messenger sends the first update again (its first delivery looked lost) while the
    answers go out: nothing is sent twice and the second turn still comes after the first."""
    name, fake, url = messenger
    turns = await reference(messenger, 2)
    chat_id = chat()
    first, second = (message_update(chat_id, text) for text in QUICK_TURNS[:2])
    await quick_turns(messenger, [first, first, second], chat_id)
    await settled(fake, chat_id, sum(len(t) for t in turns))
    assert_in_turn_order(fake, chat_id, turns)
