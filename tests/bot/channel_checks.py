"""Run in the Rasa environment by test_channel.py: Hamyar's Rasa input channel served by Sanic
with a stand-in for Rasa's turn that, by conversation, answers, says nothing or fails; what the
channel answered to each is printed as JSON. ``python -m tests.bot.channel_checks WORKDIR``
(the work directory is not needed: nothing is written)."""

from __future__ import annotations

import asyncio
import json
import socket

TOKEN = "channel-token"
KINDS = ("answers", "silent", "fails")


async def answers() -> dict:
    """The status and body of a message posted by each kind of conversation."""
    import aiohttp
    from rasa.core.channels.channel import UserMessage
    from sanic import Sanic

    from bot.channel import HamyarInput

    async def turn(message: UserMessage) -> None:
        kind = message.sender_id.split(":", 1)[1]
        if kind == "answers":
            await message.output_channel.send_text_message(message.sender_id, "سلام")
        elif kind == "fails":
            raise RuntimeError("an action failed")

    app = Sanic("channel_checks")
    app.blueprint(HamyarInput(TOKEN).blueprint(turn), url_prefix="/webhooks/hamyar")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    await server.startup()
    results = {}
    try:
        async with aiohttp.ClientSession() as session:
            for kind in KINDS:
                url = f"http://127.0.0.1:{port}/webhooks/hamyar/webhook"
                body = {"sender": f"test:{kind}", "text": "سلام"}
                async with session.post(url, json=body, headers={"X-Hamyar-Token": TOKEN}) as response:
                    results[kind] = {"status": response.status, "body": await response.json()}
    finally:
        await server.close()
    return results


if __name__ == "__main__":
    print("RESULT " + json.dumps(asyncio.run(answers()), ensure_ascii=False))
