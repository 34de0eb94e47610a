"""No secret in any process's log or arguments.

Runs last (tests/conftest.py puts it there), so the logs it reads hold everything the integration
and security tests made the stack do; it adds a few conversations of its own, one of them through
Telegram (python-telegram-bot against a local fake of the Bot API, whose URLs hold the bot token).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from connectors.signing import signed_headers
from scripts.redis_env import redis_parts
from tests.conftest import RASA_ENV, ROOT, free_port
from tests.fakes.bot_api import FakeBotApi
from tests.integration.test_conversations import look_up_verified

pytestmark = pytest.mark.integration

TELEGRAM_CHANNELS = """\
messengers:
  - name: telegram
    token: ${TELEGRAM_TOKEN:-}
    base_url: ${TELEGRAM_BASE_URL:-}
    base_file_url: ${TELEGRAM_BASE_FILE_URL:-}
    mode: webhook
    webhook_secret: ${TELEGRAM_WEBHOOK_SECRET:-}
    secret_header: true
"""


async def healthy(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    """Poll the gateway's /health without blocking the loop (the fake Bot API runs on it)."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            assert process.poll() is None, f"the Telegram gateway exited with {process.returncode}"
            try:
                async with session.get(f"{url}/health", timeout=aiohttp.ClientTimeout(total=2)) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("the Telegram gateway was not ready in time")


async def talk_through_telegram(stack, tmp_path: Path) -> dict[str, str]:
    """A gateway process with Telegram on, one message through it; the secrets it was given."""
    given = {
        "TELEGRAM_TOKEN": f"{secrets.randbelow(10**9)}:{secrets.token_urlsafe(24)}",
        "TELEGRAM_WEBHOOK_SECRET": secrets.token_urlsafe(24),
    }
    fake = FakeBotApi()
    api = TestServer(fake.app(), host="127.0.0.1")
    await api.start_server()
    base = str(api.make_url("")).rstrip("/")
    channels = tmp_path / "channels.yml"
    channels.write_text(TELEGRAM_CHANNELS, encoding="utf-8")
    port = free_port()
    env = {
        **RASA_ENV,
        **stack.tokens,
        **given,
        "PYTHONUNBUFFERED": "1",
        "REDIS_URL": stack.redis_url,
        "RASA_URL": stack.rasa,
        "GATEWAY_PORT": str(port),
        "HAMYAR_CHANNELS": str(channels),
        "TELEGRAM_BASE_URL": f"{base}/bot",
        "TELEGRAM_BASE_FILE_URL": f"{base}/file/bot",
        "PUBLISH_CONTENT_ON_START": "false",
        "CASE_POLL_SECONDS": "0",
    }
    log = open(stack.logs / "gateway-telegram.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "connectors.gateway"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        gateway = f"http://127.0.0.1:{port}"
        await healthy(gateway, process)
        chat_id = secrets.randbelow(10**9)
        update = {
            "update_id": chat_id,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "text": "سلام",
                "chat": {"id": chat_id, "type": "private"},
                "from": {"id": chat_id, "is_bot": False, "first_name": "مریم"},
            },
        }
        async with aiohttp.ClientSession() as session:
            async with session.post(
                f"{gateway}/webhooks/messenger/telegram/{given['TELEGRAM_WEBHOOK_SECRET']}",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": given["TELEGRAM_WEBHOOK_SECRET"]},
            ) as response:
                assert response.status == 200, await response.text()
        assert await fake.wait_for_sent(1)
    finally:
        process.terminate()
        process.wait(20)
        log.close()
        await api.close()
    return given


async def signed_post(url: str, secret: str, body: dict) -> int:
    raw = json.dumps(body, ensure_ascii=False).encode()
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=raw, headers=signed_headers(secret, raw)) as response:
            return response.status


async def test_no_secret_in_any_log_or_process_argument(stack, chat, tmp_path):
    # A few conversations, each path carrying a secret: the web chat to Rasa (channel token) and
    # the action server (action token), the agency, identity and SMS tokens, a bridge's signature,
    # an agency's callback, Rasa's own API, Redis, and a messenger's bot token.
    await chat.say("سامانه گواهینامه کار میکنه؟")
    await look_up_verified(chat)
    assert "در حال بررسی" in chat.text()
    stack.tracker(chat.conversation_id)
    bridge = {"message_id": uuid.uuid4().hex, "user_id": "u1", "chat_id": uuid.uuid4().hex[:12], "text": "سلام"}
    assert await signed_post(f"{stack.gateway}/webhooks/generic/sms", stack.tokens["GENERIC_SMS_SECRET"], bridge) == 200
    change = {"tracking_code": "7140508213457", "status_text": "در دست بررسی"}
    assert (
        await signed_post(
            f"{stack.gateway}/webhooks/agency/tamin/case-updates", stack.tokens["AGENCY_TAMIN_CALLBACK_SECRET"], change
        )
        == 200
    )
    telegram = await talk_through_telegram(stack, tmp_path)

    given = {**stack.tokens, **telegram, "REDIS_PASSWORD": redis_parts(stack.redis_url)["REDIS_PASSWORD"]}
    given = {name: value for name, value in given.items() if value}  # test_redis_auth checks there is a password
    assert all(len(value) >= 16 for value in given.values()), "a secret too short to search for"
    assert all(process.poll() is None for process in stack.processes.values())  # their arguments are in ps now
    arguments = subprocess.run(["ps", "-eww", "-o", "args="], capture_output=True, text=True, check=True).stdout
    logs = {path.name: path.read_text(errors="replace") for path in stack.logs.iterdir() if path.is_file()}
    assert {"gateway.log", "rasa.log", "actions.log", "sandbox.log", "gateway-telegram.log"} <= set(logs)
    found = [
        f"{name} in {where}"
        for name, value in given.items()
        for where, text in [("ps", arguments), *logs.items()]
        if value in text
    ]
    assert not found, found
