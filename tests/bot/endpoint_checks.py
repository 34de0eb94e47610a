"""Run in the Rasa environment by test_serve.py: calls to an endpoint (the action server) through
Rasa's EndpointConfig, before and after bot/serve.py's patch, counting the TCP connections a small
local server sees. ``python -m tests.bot.endpoint_checks WORKDIR`` prints «RESULT » and JSON."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Dict

CALLS = 5
# What a tracker carries: Persian text, a path, a float, nothing.
SENT = {"text": "پرونده‌ام چی شد؟ ۱۲/۳", "url": "/webhook", "confidence": 0.1 + 0.2, "slot": None}


async def connections_for(calls: int) -> Dict[str, Any]:
    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    peers: set = set()
    bodies: list = []

    async def answer(request: web.Request) -> web.Response:
        peers.add(request.transport.get_extra_info("peername"))
        bodies.append(await request.read())
        return web.json_response({"events": [], "responses": [], "echo": (await request.json())["n"]})

    app = web.Application()
    app.router.add_post("/webhook", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    endpoint = EndpointConfig(url=f"http://127.0.0.1:{port}/webhook", headers={"X-Hamyar-Action-Token": "t"})
    try:
        echoes = [(await endpoint.request(json={"n": n, **SENT}, method="post"))["echo"] for n in range(calls)]
    finally:
        await runner.cleanup()
    return {
        "connections": len(peers),
        "echoes": echoes,
        "read_back": all(json.loads(body) == {"n": n, **SENT} for n, body in enumerate(bodies)),
        "persian_as_utf8": SENT["text"].encode() in bodies[0],
    }


def checks() -> Dict[str, Any]:
    from rasa.utils.endpoints import EndpointConfig

    from bot.serve import action_calls_share_a_session

    stock = asyncio.run(connections_for(CALLS))
    action_calls_share_a_session()
    patched_session = EndpointConfig.session
    action_calls_share_a_session()  # a second start wraps nothing twice
    patched = asyncio.run(connections_for(CALLS))
    again = asyncio.run(connections_for(CALLS))  # a new event loop gets a session of its own
    return {
        "stock": stock,
        "patched": patched,
        "again": again,
        "wrapped_once": EndpointConfig.session is patched_session and getattr(patched_session, "hamyar", False),
    }


if __name__ == "__main__":
    print("RESULT " + json.dumps(checks(), ensure_ascii=False))
