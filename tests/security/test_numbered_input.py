"""Item 12: odd input through the button-less bridge (SMS) gets the normal kind answer, not a 500
that the bridge retries for ever.

«²» and «①» are digits to ``str.isdigit`` but not to ``int``; 5,000 Persian digits are past
Python's 4,300-digit limit for ``int``. Real Redis; Rasa is a closed port, so the gateway's own
answers are what comes back.
"""

from __future__ import annotations

import json

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from connectors.gateway import create_app
from connectors.models import OutboundMessage, OutButton
from connectors.numbered import NumberedOptions
from connectors.signing import signed_headers
from tests.conftest import gateway_settings

SECRET = "sms-secret-0123456789"
ODD = {
    "superscript": "²",
    "circled": "①",
    "fraction": "½",
    "5,000 Persian digits": "۱" * 5000,
    "5,000 ASCII digits": "7" * 5000,
    "a four-digit number": "۱۲۳۴",
}


@pytest.fixture
async def sms(redis_server, redis, tmp_path, monkeypatch):
    channels = tmp_path / "channels.yml"
    channels.write_text(f"generic:\n  - source: sms\n    secret: {SECRET}\n    buttons: false\n", encoding="utf-8")
    monkeypatch.setenv("HAMYAR_CHANNELS", str(channels))
    settings = gateway_settings(redis_server)
    server = TestServer(create_app(settings), host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as session:

        async def send(message_id: str, text: str) -> tuple[int, dict]:
            body = json.dumps(
                {"message_id": message_id, "user_id": "u1", "chat_id": "09120000000", "text": text}, ensure_ascii=False
            ).encode()
            async with session.post(
                server.make_url("/webhooks/generic/sms"), data=body, headers=signed_headers(SECRET, body)
            ) as response:
                return response.status, await response.json(content_type=None)

        yield send
    await server.close()


@pytest.mark.parametrize("name", ODD)
async def test_odd_numbers_are_not_options(redis, name):
    options = NumberedOptions(redis)
    await options.remember(
        "sms:1", [OutboundMessage(text="کدام؟", buttons=[OutButton(id="a1", title="یک"), OutButton(id="b2", title="دو")])]
    )
    assert await options.button_for("sms:1", ODD[name]) is None
    # Real option numbers still pick, in any script of decimal digits.
    assert [await options.button_for("sms:1", t) for t in ("۲", "٢", "2", " 1. ", "२", "01")] == [
        "b2",
        "b2",
        "b2",
        "a1",
        "b2",
        "a1",
    ]


async def test_odd_sms_gets_a_kind_answer_not_a_500(sms):
    # A first message leaves a numbered list in the conversation (the gateway's error reply has one).
    status, answer = await sms("m0", "سلام")
    assert status == 200 and "۱. منوی اصلی" in answer["replies"][0]["text"]
    for name, text in ODD.items():
        status, answer = await sms(f"m-{len(text)}-{name}", text)
        assert status == 200, (name, status, answer)
        reply = answer["replies"][0]["text"]
        if len(text) > 4096:
            assert "پیام شما خیلی طولانی است" in reply, name
        else:
            # The words went on to Rasa (down here), so the citizen hears the gateway's own kind answer.
            assert "پیام شما گم نشده است" in reply, name
