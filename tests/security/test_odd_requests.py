"""The odd inputs that the parser properties (test_fuzz_parsers.py) are about, sent as raw HTTP
to a gateway with every inbound door open. Each was answered 500 before (a messenger retries a
500 for hours, a bridge for ever), several before any secret was checked.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Optional

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from connectors.gateway import create_app
from connectors.signing import sign
from tests.conftest import gateway_settings
from tests.fakes.bot_api import FakeBotApi
from tests.fakes.rubika_api import FakeRubikaApi

SMS_SECRET, WEBHOOK_SECRET, AGENCY_SECRET, ADMIN = "m" * 24, "w" * 24, "a" * 24, "admin-" + "x" * 20


@pytest.fixture
async def doors(redis_server, redis, tmp_path, monkeypatch):
    """A gateway with every inbound door open: Telegram and Rubika (their local fakes), the SMS
    bridge, تأمین اجتماعی's callbacks and announcements; Rasa is a closed port (none of these
    requests should reach it). Yields a function sending raw HTTP/1.1 (headers as bytes: not
    every header is UTF-8) and answering the status; its ``base`` is the gateway's URL."""
    bot_api, rubika_api = TestServer(FakeBotApi().app(), host="127.0.0.1"), TestServer(FakeRubikaApi().app(), host="127.0.0.1")
    await bot_api.start_server()
    await rubika_api.start_server()
    bot_base, rubika_base = str(bot_api.make_url("")).rstrip("/"), str(rubika_api.make_url("/v3")).rstrip("/")
    channels = tmp_path / "channels.yml"
    channels.write_text(
        f"generic:\n  - source: sms\n    secret: {SMS_SECRET}\n    buttons: false\n"
        f"messengers:\n  - name: telegram\n    token: '123:ABC'\n    base_url: {bot_base}/bot\n    base_file_url: {bot_base}/file/bot\n"
        f"    mode: webhook\n    webhook_secret: {WEBHOOK_SECRET}\n    secret_header: true\n"
        f"rubika:\n  token: 'TOKEN'\n  base_url: {rubika_base}\n  webhook_secret: {WEBHOOK_SECRET}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("HAMYAR_CHANNELS", str(channels))
    monkeypatch.setenv("AGENCY_TAMIN_CALLBACK_SECRET", AGENCY_SECRET)
    settings = gateway_settings(
        redis_server,
        hamyar_admin_token=ADMIN,
        case_poll_seconds=0,
        sse_keepalive_seconds=1,
    )
    gateway = TestServer(create_app(settings), host="127.0.0.1")
    await gateway.start_server()

    async def send(path: str, body: bytes, headers: list[tuple[bytes, bytes]] = ()) -> int:
        reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
        head = [
            b"POST " + path.encode() + b" HTTP/1.1",
            b"Host: 127.0.0.1",
            b"Connection: close",
            b"Content-Length: %d" % len(body),
        ]
        head += [name + b": " + value for name, value in headers] or [b"Content-Type: application/json"]
        writer.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
        await writer.drain()
        status = int((await reader.readline()).split()[1])
        writer.close()
        return status

    send.base = str(gateway.make_url("")).rstrip("/")
    yield send
    await gateway.close()
    await bot_api.close()
    await rubika_api.close()


def _signed(
    secret: str, body: bytes, timestamp: Optional[str] = None, signature: Optional[bytes] = None
) -> list[tuple[bytes, bytes]]:
    timestamp = timestamp if timestamp is not None else str(int(time.time()))
    signature = signature if signature is not None else sign(secret, timestamp, body).encode()
    return [
        (b"Content-Type", b"application/json"),
        (b"X-Hamyar-Timestamp", timestamp.encode()),
        (b"X-Hamyar-Signature", signature),
    ]


def _message(**message) -> bytes:
    return json.dumps(
        {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, **message}}
    ).encode()


async def test_odd_requests_are_refused_not_failed(doors):
    telegram, rubika_hook = f"/webhooks/messenger/telegram/{WEBHOOK_SECRET}", f"/webhooks/rubika/{WEBHOOK_SECRET}/update"
    json_header = [(b"Content-Type", b"application/json"), (b"X-Telegram-Bot-Api-Secret-Token", WEBHOOK_SECRET.encode())]
    change = json.dumps({"tracking_code": "7140508213457", "status_text": "x"}).encode()
    sms = json.dumps({"message_id": "m1", "user_id": "u1", "chat_id": "c1", "text": "سلام"}).encode()
    cases = {
        # python-telegram-bot reads JSON of the wrong shape by raising, or not at all (text: 5).
        "update of the wrong shape": (telegram, b'{"update_id": 1, "message": 5}', json_header, 400),
        "text that is a number": (telegram, _message(text=5), json_header, 400),
        "chat id that is a list": (telegram, _message(chat={"id": [1], "type": "private"}, text="x"), json_header, 400),
        "chat id of 200 digits": (telegram, _message(chat={"id": 10**200, "type": "private"}, text="x"), json_header, 400),
        "JSON nested 30,000 deep": (telegram, b'{"update_id": 1, "x": ' + b"[" * 30000 + b"]" * 30000 + b"}", json_header, 400),
        "a lone surrogate": (telegram, _message(text="\ud800"), json_header, 400),
        "an unknown charset": (
            telegram,
            _message(text="x"),
            [(b"Content-Type", b"application/json; charset=nonesuch"), json_header[1]],
            200,
        ),
        "secret header not UTF-8": (
            telegram,
            _message(text="x"),
            [json_header[0], (b"X-Telegram-Bot-Api-Secret-Token", b"\xff\xfe")],
            404,
        ),
        "Rubika's adapter on the messenger path": (
            f"/webhooks/messenger/rubika/{WEBHOOK_SECRET}",
            _message(text="x"),
            json_header,
            404,
        ),
        "Rubika message that is a string": (
            rubika_hook,
            b'{"update": {"type": "NewMessage", "chat_id": "c1", "new_message": "x"}}',
            json_header[:1],
            200,
        ),
        "Rubika chat id that is an object": (
            rubika_hook,
            json.dumps({"inline_message": {"chat_id": {"a": 1}, "message_id": "1", "text": "x"}}).encode(),
            json_header[:1],
            200,
        ),
        "Rubika message id of 200 letters": (
            rubika_hook,
            json.dumps({"inline_message": {"chat_id": "c1", "message_id": "1" * 200, "text": "x"}}).encode(),
            json_header[:1],
            200,
        ),
        "timestamp of 400 digits (SMS)": ("/webhooks/generic/sms", sms, _signed(SMS_SECRET, sms, timestamp="9" * 400), 401),
        "signature not UTF-8 (SMS)": ("/webhooks/generic/sms", sms, _signed(SMS_SECRET, sms, signature=b"sha256=\xff"), 401),
        "timestamp of 400 digits (agency)": (
            "/webhooks/agency/tamin/case-updates",
            change,
            _signed(AGENCY_SECRET, change, timestamp="9" * 400),
            401,
        ),
        "tracking code in Devanagari digits": (
            "/webhooks/agency/tamin/case-updates",
            json.dumps({"tracking_code": "७१४०५०८२१३४५७", "status_text": "x"}).encode(),
            None,
            400,
        ),
        "admin token not UTF-8": (
            "/admin/announcements",
            b'{"text": "x"}',
            [(b"Content-Type", b"application/json"), (b"Authorization", b"Bearer \xff")],
            401,
        ),
    }
    answers = {}
    for name, (path, body, headers, _) in cases.items():
        if headers is None:  # signed now, just before sending
            headers = _signed(AGENCY_SECRET, body)
        answers[name] = await doors(path, body, headers)
    assert answers == {name: case[3] for name, case in cases.items()}


async def test_odd_web_chat_requests_are_refused_not_failed(doors):
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        async with session.get(doors.base + "/") as response:
            assert response.status == 200  # the session cookie
        answers = {}
        for name, body, content_type in [
            ("a lone surrogate", b'{"message_id": "w1", "text": "\\ud800"}', "application/json"),
            ("JSON nested 30,000 deep", b'{"a": ' + b"[" * 30000 + b"]" * 30000 + b"}", "application/json"),
            ("an unknown charset", b'{"message_id": "w2", "text": "x"}', "application/json; charset=nonesuch"),
        ]:
            async with session.post(doors.base + "/chat/messages", data=body, headers={"Content-Type": content_type}) as response:
                answers[name] = response.status
        assert answers == {"a lone surrogate": 400, "JSON nested 30,000 deep": 400, "an unknown charset": 200}
        # A resumed event stream names the last event it saw; «²» passed ``isdigit`` and made
        # Redis refuse the read, which ended the stream with a traceback instead of keep-alives.
        for last in ("²", "1-²", "9" * 30):
            async with session.get(doors.base + "/chat/events", headers={"Last-Event-ID": last}) as stream:
                assert stream.status == 200
                lines = []
                while b": keep-alive\n" not in lines:
                    line = await asyncio.wait_for(stream.content.readline(), 10)
                    assert line, f"the stream after {last!r} ended: {lines}"
                    lines.append(line)
