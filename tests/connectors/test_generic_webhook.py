"""The generic webhook's door: who is let in, with Rasa unreachable (a closed port)."""

import json
import time

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from connectors.gateway import create_app
from connectors.signing import signed_headers
from tests.conftest import gateway_settings


@pytest.fixture
async def gateway(redis_server, redis, tmp_path, monkeypatch):
    channels = tmp_path / "channels.yml"
    channels.write_text(
        "generic:\n  - source: sms\n    secret: s3cret\n    buttons: false\n  - source: off\n    secret: ''\n", encoding="utf-8"
    )
    monkeypatch.setenv("HAMYAR_CHANNELS", str(channels))
    settings = gateway_settings(redis_server)
    server = TestServer(create_app(settings), host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("/webhooks/generic/")).rstrip("/")
    await server.close()


async def post(url, body: bytes, headers: dict):
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=body, headers=headers) as response:
            return response.status, await response.json(content_type=None)


def message(**extra) -> bytes:
    return json.dumps({"message_id": "m1", "user_id": "u1", "chat_id": "c1", "text": "سلام", **extra}).encode()


async def test_unknown_or_disabled_source(gateway):
    body = message()
    assert (await post(f"{gateway}/nope", body, signed_headers("s3cret", body)))[0] == 404
    assert (await post(f"{gateway}/off", body, signed_headers("", body)))[0] == 404


async def test_bad_signature_and_stale_timestamp(gateway):
    body = message()
    assert await post(f"{gateway}/sms", body, signed_headers("wrong", body)) == (401, {"error": "bad_signature"})
    assert await post(f"{gateway}/sms", body, {"Content-Type": "application/json"}) == (401, {"error": "bad_signature"})
    old = signed_headers("s3cret", body, now=time.time() - 600)
    assert await post(f"{gateway}/sms", body, old) == (401, {"error": "stale"})


async def test_malformed_and_oversize(gateway):
    for body in (b"{not json", b"[]", json.dumps({"message_id": "m1"}).encode(), message(chat_id="../etc")):
        status, _ = await post(f"{gateway}/sms", body, signed_headers("s3cret", body))
        assert status == 400, body
    big = message(text="x" * 20000)
    assert (await post(f"{gateway}/sms", big, signed_headers("s3cret", big)))[0] == 413


async def test_a_genuine_message_is_answered_even_when_rasa_is_down(gateway):
    body = message()
    status, answer = await post(f"{gateway}/sms", body, signed_headers("s3cret", body))
    assert status == 200
    assert answer["conversation_id"] == "sms:c1"
    # No buttons on SMS: the options are numbered in the text.
    assert "مشکلی در سامانه همیار" in answer["replies"][0]["text"]
    assert "۱. منوی اصلی" in answer["replies"][0]["text"] and answer["replies"][0]["buttons"] == []


async def test_each_reply_carries_a_signed_link_to_its_voice(gateway):
    body = message(message_id="voice-1")
    status, answer = await post(f"{gateway}/sms", body, signed_headers("s3cret", body))
    assert status == 200
    audio = answer["replies"][0]["audio"]
    assert audio["mime_type"] == "audio/ogg" and "/voice/" in audio["url"] and "speak" not in answer["replies"][0]
    async with aiohttp.ClientSession() as session:
        async with session.get(audio["url"]) as response:
            assert response.status == 200 and (await response.read())[:4] == b"OggS"
        async with session.get(audio["url"].replace("/voice/", "/voice/x")) as response:
            assert response.status == 403


@pytest.fixture
async def answered(redis_server, redis, tmp_path, monkeypatch):
    """A gateway whose Rasa (a stand-in for its channel) answers every turn with one message."""

    async def webhook(request: web.Request) -> web.Response:
        return web.json_response({"messages": [{"recipient_id": "x", "text": "پرونده شما در حال بررسی است."}]})

    rasa = web.Application()
    rasa.router.add_post("/webhooks/hamyar/webhook", webhook)
    rasa_server = TestServer(rasa, host="127.0.0.1")
    await rasa_server.start_server()
    channels = tmp_path / "channels.yml"
    channels.write_text("generic:\n  - source: sms\n    secret: s3cret\n    buttons: false\n", encoding="utf-8")
    monkeypatch.setenv("HAMYAR_CHANNELS", str(channels))
    settings = gateway_settings(redis_server, rasa_url=str(rasa_server.make_url("")).rstrip("/"))
    server = TestServer(create_app(settings), host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("/webhooks/generic/")).rstrip("/")
    await server.close()
    await rasa_server.close()


async def test_a_turns_voice_words_go_to_redis_with_the_turn_and_a_retry_keeps_its_links(answered, redis_sent):
    body = message(message_id="voice-2")
    status, answer = await post(f"{answered}/sms", body, signed_headers("s3cret", body))
    assert status == 200 and answer["replies"][0]["text"].startswith("پرونده شما")
    # One transaction after the turn: the message marked handled, its voice's words (SET, SET)
    # and the lane left (EVAL); no pipeline of the words' own.
    assert [sent for sent in redis_sent if isinstance(sent, list)] == [["SET", "SET", "EVAL"]]
    retry = await post(f"{answered}/sms", body, signed_headers("s3cret", body, now=time.time() + 1))
    assert retry[0] == 200 and retry[1]["duplicate"]
    async with aiohttp.ClientSession() as session:
        for url in (answer["replies"][0]["audio"]["url"], retry[1]["replies"][0]["audio"]["url"]):
            async with session.get(url) as response:
                assert response.status == 200 and (await response.read())[:4] == b"OggS"
