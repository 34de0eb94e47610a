"""The gateway with the desk mounted, on a real Redis and a fresh SQLite database with three staff
users, driven through aiohttp's test client; the desk's clock is the test's to move."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterator

import pytest
import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from cryptography.fernet import Fernet

from connectors.gateway import create_app
from content.replies import Replies
from desk.callback import FULL, YES, CallbackFlow
from desk.db import make_engine, session_factory, upgrade_engine
from desk.queue import HandoffQueue, QueueItem
from desk.settings import DeskSettings
from desk.users import StaffUsers
from desk.web import DESK_WEB
from tests.conftest import gateway_settings
from tests.desk.test_queue import Clock
from tests.integration.test_web_chat_browser import chromium  # noqa: F401  (Debian's Chromium, for the browser test)

PASSWORD = "a long enough password"


@dataclass
class Desk:
    server: TestServer
    clock: Clock
    queue: HandoffQueue
    sessions: object  # the database's session factory
    app: web.Application

    def client(self) -> TestClient:
        """A browser of its own (its own cookies)."""
        return TestClient(self.server)

    def item(self, conversation_id: str, agency: str = "sabt", **fields) -> QueueItem:
        return QueueItem(
            conversation_id=conversation_id,
            channel=conversation_id.split(":")[0],
            agency=agency,
            reason=fields.pop("reason", "request"),
            arrived_at=fields.pop("arrived_at", self.clock()),
            **fields,
        )

    async def arrange_callback(self, redis: aioredis.Redis, conversation_id: str, phone: str, agency: str = "sabt") -> None:
        """A citizen of the agency's full queue arranges a call-back, as the gateway's flow takes it."""
        desk = self.app[DESK_WEB]
        flow = CallbackFlow(redis, desk.database, desk.config, desk.sealer, Replies(), desk.now)
        await flow.offer(conversation_id, conversation_id.split(":")[0], agency, "request_human", FULL)
        await flow.step(conversation_id, None, YES, None)
        await flow.step(conversation_id, phone, None, None)
        await flow.step(conversation_id, None, flow.replies.buttons("callback_ask_time")[0]["payload"], None)


async def add_users(url: str) -> None:
    engine = make_engine(url)
    await upgrade_engine(engine)
    async with session_factory(engine)() as session, session.begin():
        users = StaffUsers(session, DeskSettings(database_url=url))
        await users.create("ali", "agent", PASSWORD, first_name="علی", agencies=["sabt"])
        await users.create("sara", "supervisor", PASSWORD, first_name="سارا")
        await users.create("root", "admin", PASSWORD)
    await engine.dispose()


async def start_desk(redis_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **gateway) -> AsyncIterator[Desk]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}"
    await add_users(url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("HAMYAR_DATA_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("DESK_MAX_FAILED_LOGINS", "3")
    monkeypatch.setenv("DESK_SESSION_MINUTES", "60")
    monkeypatch.setenv("DESK_LOGIN_ATTEMPTS_PER_MINUTE", "6")
    app = create_app(gateway_settings(redis_server, **gateway))
    clock = Clock()
    desk = app[DESK_WEB]
    desk.clock = clock
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield Desk(server, clock, desk.queue, desk.database, app)
    finally:
        await server.close()


@pytest.fixture
async def desk(redis_server, redis, tmp_path, monkeypatch) -> AsyncIterator[Desk]:
    async for running in start_desk(redis_server, tmp_path, monkeypatch):
        yield running


@pytest.fixture
async def browser_of(desk: Desk):
    """``await browser_of()``: a new client with its own cookies, closed after the test."""
    clients: list[TestClient] = []

    async def make() -> TestClient:
        client = desk.client()
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


async def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    response = await client.post("/desk/api/login", json={"username": username, "password": password})
    assert response.status == 200, await response.text()
    return (await response.json())["csrf_token"]
