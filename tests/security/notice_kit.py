"""What the notice tests share: a bridge that can be made to fail, and a gateway that can be
restarted, both real aiohttp servers on loopback, with a real Redis."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Callable, Optional

import aiohttp
import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.fernet import Fernet

from connectors.gateway import create_app
from connectors.settings import GatewaySettings
from connectors.signing import signed_headers
from tests.conftest import free_port

EITAA_SECRET = "eitaa-secret-for-tests"
TAMIN_SECRET = "tamin-callback-secret"
ADMIN_TOKEN = "admin-token-for-tests"
MARYAM_CASE = "7140508213457"  # tamin: reports changes by callback
POLICE_CASE = "914050820398756"  # police: polled


class Bridge:
    """A generic-webhook bridge's callback URL and an Eitaa send-only API in one server. It
    answers 503 while ``failing`` (or while ``fails(body)`` says so) and records every POST."""

    def __init__(self) -> None:
        self.failing = False
        self.fails: Callable[[dict], bool] = lambda body: False
        self.posts: list[tuple[str, dict, int]] = []  # (path, body, status answered)
        self._changed = asyncio.Condition()
        self._server: Optional[TestServer] = None

    async def start(self) -> "Bridge":
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        app.router.add_post("/eitaa/{token}/sendMessage", self._eitaa)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        return self

    @property
    def url(self) -> str:
        return str(self._server.make_url("")).rstrip("/")

    async def _record(self, path: str, body: dict) -> int:
        status = 503 if self.failing or self.fails(body) else 200
        async with self._changed:
            self.posts.append((path, body, status))
            self._changed.notify_all()
        return status

    async def _hook(self, request: web.Request) -> web.Response:
        status = await self._record("hook", json.loads(await request.read()))
        return web.json_response({"ok": status == 200}, status=status)

    async def _eitaa(self, request: web.Request) -> web.Response:
        status = await self._record("eitaa", dict(await request.post()))
        return web.json_response({"ok": status == 200}, status=status)

    async def wait_for(self, check: Callable[[list], bool], timeout: float = 30) -> list:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: check(self.posts)), timeout)
            return list(self.posts)

    def delivered(self, conversation: str, words: str) -> int:
        """How many notices containing ``words`` the bridge took for one conversation."""
        return sum(
            1
            for path, body, status in self.posts
            if path == "hook"
            and status == 200
            and body.get("conversation_id") == conversation
            and any(words in reply["text"] for reply in body.get("replies", []))
        )

    async def close(self) -> None:
        await self._server.close()


class Gateway:
    """The real gateway app (Rasa unreachable: notices do not need it), which can be restarted."""

    def __init__(self, redis_url: str, tmp_path: Path, monkeypatch, bridge: Bridge, **settings) -> None:
        channels = tmp_path / "channels.yml"
        channels.write_text(
            f"generic:\n  - source: eitaa\n    secret: {EITAA_SECRET}\n    buttons: true\n    callback_url: {bridge.url}/hook\n"
            f"announcement_channels:\n  - via: eitaa\n    token: eitaa-token\n    chat_id: hamyar_news\n    base_url: {bridge.url}/eitaa\n",
            encoding="utf-8",
        )
        monkeypatch.setenv("HAMYAR_CHANNELS", str(channels))
        monkeypatch.setenv("AGENCY_TAMIN_CALLBACK_SECRET", TAMIN_SECRET)
        # Its own database (subscriptions are kept there), kept across a restart, not the repository's .run/.
        monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'hamyar.db'}")
        if not settings.pop("keep_data_key", False):
            monkeypatch.setenv("HAMYAR_DATA_KEY", Fernet.generate_key().decode())
        self._settings = dict(
            rasa_channel_token="t",
            rasa_url=f"http://127.0.0.1:{free_port()}",
            redis_url=redis_url,
            turn_timeout_seconds=2,
            publish_content_on_start=False,
            hamyar_admin_token=ADMIN_TOKEN,
            case_poll_seconds=0,
            notice_retry_seconds=0.2,
        )
        self._settings.update(settings)
        self._server: Optional[TestServer] = None

    async def start(self) -> "Gateway":
        self._server = TestServer(create_app(GatewaySettings(**self._settings)), host="127.0.0.1")
        await self._server.start_server()
        return self

    async def stop(self) -> None:
        if self._server is not None:
            await asyncio.wait_for(self._server.close(), 90)
            self._server = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    @property
    def url(self) -> str:
        return str(self._server.make_url("")).rstrip("/")

    async def post(self, path: str, raw: bytes, headers: dict) -> tuple[int, dict]:
        async with aiohttp.ClientSession() as session:
            async with session.post(self.url + path, data=raw, headers=headers) as response:
                return response.status, await response.json(content_type=None)

    async def agency_callback(
        self, body: dict, headers: Optional[dict] = None, now: Optional[float] = None
    ) -> tuple[int, dict, dict]:
        """Posts a signed case change; also returns the headers, to send the very same again."""
        raw = json.dumps(body, ensure_ascii=False).encode()
        headers = headers or signed_headers(TAMIN_SECRET, raw, now=now)
        status, answer = await self.post("/webhooks/agency/tamin/case-updates", raw, headers)
        return status, answer, headers

    async def admin(self, method: str, path: str, body: Optional[dict] = None, key: Optional[str] = None) -> tuple[int, dict]:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        async with aiohttp.ClientSession() as session:
            async with session.request(method, self.url + path, json=body, headers=headers) as response:
                return response.status, await response.json(content_type=None)


async def eventually(check: Callable, timeout: float = 30, what: str = "condition"):
    """Polls an async condition (Redis or HTTP state, which cannot notify) until it holds."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:.0f} s")
        await asyncio.sleep(0.05)


async def queue_drained(redis: aioredis.Redis) -> bool:
    """Every queued notice settled: none waiting, none pending."""
    if not await redis.exists("hamyar:notices"):
        return True
    return await redis.xlen("hamyar:notices") == 0
