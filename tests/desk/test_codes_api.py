"""desk/codes_api.py: POST /desk/api/handoff-codes, called with an agent the test signs in itself
(the staff desk's login and CSRF checks are its own tests')."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from desk.codes import redeem
from desk.codes_api import create_handoff_code
from desk.db import session_factory
from desk.models import AuditEntry, CodeKind, HandoffCode, Role, StaffUser
from desk.settings import DeskSettings
from desk.web.state import DESK, USER

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


@dataclass
class Desk:
    """What the handler reads of the staff desk's state."""

    settings: DeskSettings
    db: Callable
    clock: Callable[[], datetime] = lambda: NOW

    def now(self) -> datetime:
        return self.clock()


@pytest.fixture
async def api(engine, session, database_url, monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "hamyar_bot")
    agent = StaffUser(username="sara", role=Role.agent, password_hash="x")
    session.add(agent)
    await session.commit()

    @web.middleware
    async def signed_in(request: web.Request, handler):
        request[USER] = agent
        return await handler(request)

    app = web.Application(middlewares=[signed_in])
    app[DESK] = Desk(DeskSettings(database_url=database_url, public_url="https://hamyar.example"), session_factory(engine))  # type: ignore[misc]
    app.router.add_post("/desk/api/handoff-codes", create_handoff_code)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as client:

        async def post(body) -> tuple[int, dict]:
            async with client.post(str(server.make_url("/desk/api/handoff-codes")), json=body) as response:
                return response.status, await response.json()

        yield post, agent
    await server.close()


async def test_a_guide_code_with_its_links_and_expiry(api, session):
    post, agent = api
    status, body = await post({"guide": "passport-new", "note": "عکس را فراموش نکنید"})
    assert status == 201
    code = body["code"]
    assert body["links"] == {"telegram": f"https://t.me/hamyar_bot?start={code}", "web": f"https://hamyar.example/?code={code}"}
    assert datetime.fromisoformat(body["expires_at"]) == datetime(2025, 3, 2, 9, 0, tzinfo=timezone.utc)
    row = await session.scalar(select(HandoffCode).where(HandoffCode.code == code))
    assert (row.kind, row.target, row.note, row.created_by_id) == (
        CodeKind.guide,
        "passport-new",
        "عکس را فراموش نکنید",
        agent.id,
    )
    assert await session.scalar(select(AuditEntry.actor_id).where(AuditEntry.action == "code_issued")) == agent.id


async def test_case_and_complaint_codes(api, session):
    post, _ = api
    for body, kind in (({"case": True}, CodeKind.case), ({"complaint": True, "note": "x"}, CodeKind.complaint)):
        status, answer = await post(body)
        assert status == 201
        handed = await redeem(session, answer["code"], NOW)
        await session.commit()
        assert handed is not None and handed.kind is kind and not handed.target


@pytest.mark.parametrize(
    "body, said",
    [
        ({"guide": "no-such-guide"}, "unknown guide 'no-such-guide'"),
        ({"guide": "passport-new", "case": True}, "exactly one"),
        ({}, "exactly one"),
        ({"case": True, "note": "x" * 301}, "note"),
        ({"case": True, "extra": 1}, "extra"),
        ([1], "JSON object"),
    ],
)
async def test_a_bad_request_says_what_is_wrong(api, session, body, said):
    post, _ = api
    status, answer = await post(body)
    assert status == 400 and said in answer["text"]
    assert (await session.scalars(select(HandoffCode))).all() == []
