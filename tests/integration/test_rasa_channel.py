"""Hamyar's own Rasa input channel, called directly as the gateway does."""

from __future__ import annotations

import uuid

import aiohttp
import pytest

pytestmark = pytest.mark.integration


async def call(stack, body, token=None, raw=None):
    headers = {"X-Hamyar-Token": stack.tokens["RASA_CHANNEL_TOKEN"] if token is None else token}
    async with aiohttp.ClientSession() as session:
        kwargs = (
            {"data": raw, "headers": {**headers, "Content-Type": "application/json"}}
            if raw is not None
            else {"json": body, "headers": headers}
        )
        async with session.post(f"{stack.rasa}/webhooks/hamyar/webhook", **kwargs) as response:
            return response.status, await response.json(content_type=None)


def sender() -> str:
    return f"test:{uuid.uuid4().hex}"


async def test_token_is_checked(stack):
    assert (await call(stack, {"sender": sender(), "text": "سلام"}, token="wrong"))[0] == 401


@pytest.mark.parametrize(
    "body",
    [
        {"sender": "no colon", "text": "سلام"},
        {"sender": "test:ok", "text": 5},
        {"sender": "test:ok", "payload": "greet"},
        {"sender": "test:ok", "payload": "/greet; drop"},
        {"sender": "test:ok", "text": "///"},
        {"sender": "test:ok"},
        ["not", "an", "object"],
    ],
)
async def test_malformed_requests_are_errors(stack, body):
    status, answer = await call(stack, body)
    assert status == 400 and "error" in answer


async def test_body_that_is_not_json(stack):
    assert (await call(stack, None, raw=b"{oops"))[0] == 400


async def test_errors_are_errors_not_empty_answers(stack):
    conversation = sender()
    status, answer = await call(stack, {"sender": conversation, "text": "سلام"})
    assert status == 200 and answer["messages"]
    # A turn that says nothing (a session restarted after the privacy notice was shown) is
    # reported as a failed turn, not as an empty answer the gateway would pass on as silence.
    status, answer = await call(stack, {"sender": conversation, "payload": "/session_start"})
    assert (status, answer) == (502, {"error": "no_reply", "messages": []})


async def test_a_shared_contact_needs_no_sms(stack):
    conversation = sender()
    await call(stack, {"sender": conversation, "text": "پرونده 7140508213457 چی شد"})
    await call(stack, {"sender": conversation, "text": "0016383230"})
    # The messenger vouches that this contact is the sender's own.
    status, answer = await call(
        stack, {"sender": conversation, "text": "شماره من", "metadata": {"verified_phone": "09121000101"}}
    )
    texts = "\n".join(m.get("text", "") for m in answer["messages"])
    assert status == 200
    assert "پیامکی" not in texts
    assert "وضعیت: در حال بررسی" in texts


async def test_gateway_health(stack):
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{stack.gateway}/health") as response:
            assert response.status == 200
            report = await response.json()
    assert (report["status"], report["redis"], report["rasa"]) == ("ok", True, True)
    # Each part by name: Redis, the Rasa server, the action server, each agency (the sandbox here).
    assert {"redis", "rasa-1", "actions-1", "agency-tamin", "agency-identity"} <= set(report["parts"])
    assert set(report["parts"].values()) == {"up"}
