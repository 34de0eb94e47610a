"""Pushed notices through the real gateway app and a real Redis (Rasa a closed port: the gateway's
own answers are the "menu before")."""

from __future__ import annotations

import json

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from connectors.gateway import create_app
from connectors.keys import DELIVERER, NUMBERED, ROUTER
from connectors.signing import signed_headers
from tests.conftest import gateway_settings

SECRET = "sms-secret-0123456789"
PHONE = "09120000000"


@pytest.fixture
async def sms(redis_server, redis, tmp_path, monkeypatch):
    """A gateway with a button-less SMS bridge whose callback URL records what is pushed."""
    pushed: list[dict] = []

    async def hook(request: web.Request) -> web.Response:
        pushed.append(await request.json())
        return web.json_response({"ok": True})

    bridge_app = web.Application()
    bridge_app.router.add_post("/hook", hook)
    bridge = TestServer(bridge_app, host="127.0.0.1")
    await bridge.start_server()
    channels = tmp_path / "channels.yml"
    channels.write_text(
        f"generic:\n  - source: sms\n    secret: {SECRET}\n    buttons: false\n    callback_url: {bridge.make_url('/hook')}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("HAMYAR_CHANNELS", str(channels))
    app = create_app(gateway_settings(redis_server))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as session:

        async def send(message_id: str, text: str) -> dict:
            body = json.dumps({"message_id": message_id, "user_id": "u1", "chat_id": PHONE, "text": text}, ensure_ascii=False)
            raw = body.encode()
            async with session.post(server.make_url("/webhooks/generic/sms"), data=raw, headers=signed_headers(SECRET, raw)) as r:
                assert r.status == 200
                return await r.json()

        yield app, send, pushed
    await server.close()
    await bridge.close()


async def test_a_pushed_notices_digits_pick_from_the_notice(sms):
    app, send, pushed = sms
    conversation = f"sms:{PHONE}"
    menu = await send("m1", "سلام")  # Rasa is down: the kind answer with its own two options
    assert "۲. صحبت با اپراتور" in json.dumps(menu, ensure_ascii=False)
    before = await app[NUMBERED].button_for(conversation, "۲")
    assert (await app[ROUTER].buttons.resolve(conversation, before))["payload"] == "/request_human"

    assert await app[DELIVERER].say(conversation, "case_changed", code="۷۱۴۰۵۰۸۲۱۳۴۵۷", status="تأیید شد")
    [notice] = pushed[-1:]
    assert "۲. دیگر خبر نده" in json.dumps(notice, ensure_ascii=False)
    picked = await app[NUMBERED].button_for(conversation, "2")
    assert (await app[ROUTER].buttons.resolve(conversation, picked))["payload"] == "/unsubscribe"
