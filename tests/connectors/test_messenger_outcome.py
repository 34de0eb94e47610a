"""A webhook update whose turn fails is reported failed (so the messenger retries it), to that
request alone: the real python-telegram-bot against the fake Bot API; Redis a closed port."""

from __future__ import annotations

import asyncio
import time

from aiohttp.test_utils import TestServer

from connectors.messenger import MessengerAdapter, MessengerProfile
from connectors.rasa_client import RasaClient
from connectors.router import Router
from connectors.sendqueue import ChatQueues
from content.replies import Replies
from tests.conftest import free_port
from tests.fakes.bot_api import FakeBotApi


def update(update_id: int, chat_id: int) -> dict:
    message = {"message_id": update_id, "date": int(time.time()), "chat": {"id": chat_id, "type": "private"}, "text": "سلام"}
    return {"update_id": update_id, "message": {**message, "from": {"id": chat_id, "is_bot": False, "first_name": "م"}}}


async def test_a_failed_turn_fails_only_its_own_update(redis):
    import redis.asyncio as aioredis

    api = TestServer(FakeBotApi().app(), host="127.0.0.1")
    await api.start_server()
    base = str(api.make_url("")).rstrip("/")
    profile = MessengerProfile("telegram", "123:ABC", f"{base}/bot", f"{base}/file/bot", "webhook", "s" * 24, True)
    rasa = RasaClient(f"http://127.0.0.1:{free_port()}", "token", timeout_seconds=2)
    broken = aioredis.from_url(f"redis://127.0.0.1:{free_port()}/0", decode_responses=True)
    working = MessengerAdapter(profile, Router(redis, rasa, Replies()), ChatQueues(redis), Replies())
    failing = MessengerAdapter(profile, Router(broken, rasa, Replies()), ChatQueues(broken), Replies())
    for adapter in (working, failing):
        await adapter.start()
    try:
        # Rasa is down: the working one still answers (the kind error) and reports success.
        results = await asyncio.gather(failing.process(update(1, 11)), working.process(update(2, 12)))
        assert results == [False, True]
        assert await working.process(update(3, 13)) is True
    finally:
        for adapter in (working, failing):
            await adapter.stop()
        await rasa.close()
        await broken.aclose()
        await api.close()
