"""Issue 20, item 13: Rasa's own ``trigger_intent`` answers as Rasa documents it: the triggered
turn's messages come back in the response, never a 500."""

from __future__ import annotations

import aiohttp
import pytest

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("output_channel", [None, "latest", "collector"])
async def test_trigger_intent_runs_the_turn_and_returns_its_messages(chat, stack, output_channel):
    await chat.say("سلام")
    params = {"token": stack.tokens["RASA_API_TOKEN"]}
    if output_channel:
        params["output_channel"] = output_channel
    async with aiohttp.ClientSession() as session:
        url = f"{stack.rasa}/conversations/{chat.conversation_id}/trigger_intent"
        async with session.post(url, params=params, json={"name": "help"}) as response:
            body = await response.json()
            assert response.status == 200, body
    assert any("من این کارها را بلدم" in (m.get("text") or "") for m in body.get("messages", [])), body
    assert body["tracker"]["latest_message"]["intent"]["name"] == "help"


async def test_trigger_intent_on_a_conversation_not_yet_started(stack):
    import uuid

    async with aiohttp.ClientSession() as session:
        url = f"{stack.rasa}/conversations/web:{uuid.uuid4().hex}/trigger_intent"
        async with session.post(url, params={"token": stack.tokens["RASA_API_TOKEN"]}, json={"name": "help"}) as response:
            body = await response.json()
            assert response.status == 200, body
    assert any("من این کارها را بلدم" in (m.get("text") or "") for m in body.get("messages", [])), body


async def test_trigger_intent_needs_the_api_token(chat, stack):
    async with aiohttp.ClientSession() as session:
        url = f"{stack.rasa}/conversations/{chat.conversation_id}/trigger_intent"
        async with session.post(url, json={"name": "help"}) as response:
            assert response.status == 401
