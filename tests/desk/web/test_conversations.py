"""A conversation through the desk's API: the take race, the masked transcript and its audited
reveal, replies reaching the citizen's web chat, the hand-back, transfers, canned replies, the
call-back list, the handoff-code form's doors, CSRF on every state change, and the desk off
without its data key."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import select

from connectors.gateway import create_app
from connectors.keys import HANDOFFS, OUTBOX
from desk.handoff import Turn
from desk.models import AuditEntry, Author, Callback, CallbackStatus, Handoff, Outcome, StaffUser
from desk.settings import DeskSettings
from desk.users import StaffUsers
from desk.web import DESK_WEB
from tests.conftest import gateway_settings
from tests.desk.web.conftest import PASSWORD, login, start_desk
from tests.desk.web.test_access import api_routes
from tests.desk.web.test_queue_view import next_event

CITIZEN = "web:c1"
NATIONAL_ID = "0012345678"
CANNED = ["سلام، در خدمتم.", "کارت ملی را همراه بیاورید.", "گذرنامه کار دیگری است."]


@pytest.fixture
async def desk(redis_server, redis, tmp_path, monkeypatch):
    config = tmp_path / "desk.yml"
    config.write_text(
        'office_hours:\n  saturday: {open: "08:00", close: "16:00"}\n'
        "canned_replies:\n"
        f"  - text: {CANNED[0]}\n"
        f"  - text: {CANNED[1]}\n    agency: sabt\n"
        f"  - text: {CANNED[2]}\n    agency: police\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("HAMYAR_DESK", str(config))
    async for running in start_desk(redis_server, tmp_path, monkeypatch):
        async with running.sessions() as session, session.begin():
            users = StaffUsers(session, DeskSettings(database_url=str(running.app[DESK_WEB].runtime.engine.url)))
            await users.create("reza", "agent", PASSWORD, first_name="رضا", agencies=["sabt"])
            await users.create("mina", "agent", PASSWORD, first_name="مینا", agencies=["tamin"])
        yield running


async def queued(desk, conversation_id: str = CITIZEN, agency: str = "sabt") -> None:
    turns = [Turn(Author.citizen, f"کد ملی من {NATIONAL_ID} است"), Turn(Author.bot, "شما را به کارشناس می‌سپارم.")]
    await desk.app[HANDOFFS].start(conversation_id, conversation_id.split(":")[0], agency, "request_human", turns)


async def signed_in(browser_of, username: str):
    client = await browser_of()
    token = await login(client, username)
    return client, {"X-CSRF-Token": token}


async def outbox(desk, conversation_id: str = CITIZEN) -> list[dict]:
    return [fields for _, _, fields in await desk.app[OUTBOX].read(conversation_id, "0")]


async def test_of_two_agents_taking_at_once_exactly_one_wins(desk, browser_of):
    await queued(desk)
    (ali, ali_csrf), (reza, reza_csrf) = await signed_in(browser_of, "ali"), await signed_in(browser_of, "reza")
    answers = await asyncio.gather(
        ali.post(f"/desk/api/conversations/{CITIZEN}/take", headers=ali_csrf),
        reza.post(f"/desk/api/conversations/{CITIZEN}/take", headers=reza_csrf),
    )
    assert sorted(answer.status for answer in answers) == [200, 409]
    loser = next(answer for answer in answers if answer.status == 409)
    assert await loser.json() == {"error": "taken", "text": "این گفتگو را کارشناس دیگری زودتر برداشت."}
    assert any("برداشته است" in message["text"] for message in await outbox(desk))
    # Someone else's agency is not found, for an agent who does not serve it.
    mina, mina_csrf = await signed_in(browser_of, "mina")
    await queued(desk, "web:c2")
    assert (await mina.post("/desk/api/conversations/web:c2/take", headers=mina_csrf)).status == 404
    assert (await mina.get("/desk/api/conversations/web:c2")).status == 404


async def test_the_transcript_is_masked_and_each_reveal_is_audited(desk, browser_of):
    await queued(desk)
    (ali, ali_csrf), (reza, reza_csrf) = await signed_in(browser_of, "ali"), await signed_in(browser_of, "reza")
    shown = await (await ali.get(f"/desk/api/conversations/{CITIZEN}")).json()
    assert (shown["state"], shown["agent"], shown["agency_name"], shown["channel"]) == ("waiting", None, "ثبت احوال", "web")
    citizen, bot = shown["transcript"]
    assert (citizen["author"], citizen["masked"], bot["author"], bot["masked"]) == ("citizen", True, "bot", False)
    assert NATIONAL_ID not in str(shown) and "********78" in citizen["text"]
    entry = {"entry": citizen["id"]}
    # Nobody reveals what they do not have, not even before taking it.
    assert (await ali.post(f"/desk/api/conversations/{CITIZEN}/reveal", json=entry, headers=ali_csrf)).status == 403
    assert (await ali.post(f"/desk/api/conversations/{CITIZEN}/take", headers=ali_csrf)).status == 200
    refused = await reza.post(f"/desk/api/conversations/{CITIZEN}/reveal", json=entry, headers=reza_csrf)
    assert refused.status == 403 and (await refused.json())["error"] == "not_yours"
    revealed = await ali.post(f"/desk/api/conversations/{CITIZEN}/reveal", json=entry, headers=ali_csrf)
    assert await revealed.json() == {"entry": citizen["id"], "text": f"کد ملی من {NATIONAL_ID} است"}
    other = await ali.post(f"/desk/api/conversations/{CITIZEN}/reveal", json={"entry": 99999}, headers=ali_csrf)
    assert other.status == 404
    async with desk.sessions() as session:
        reveals = await session.execute(
            select(StaffUser.username, AuditEntry.target, AuditEntry.detail)
            .join(StaffUser, AuditEntry.actor_id == StaffUser.id)
            .where(AuditEntry.action == "reveal")
        )
        assert [tuple(row) for row in reveals] == [("ali", CITIZEN, {"entry": citizen["id"]})]
    assert (await ali.get(f"/desk/api/conversations/{CITIZEN}")).status == 200
    assert (await (await ali.get(f"/desk/api/conversations/{CITIZEN}")).json())["agent"] == "علی"


async def test_replies_reach_the_citizen_signed_and_join_the_transcript(desk, browser_of):
    await queued(desk)
    (ali, ali_csrf), (reza, reza_csrf) = await signed_in(browser_of, "ali"), await signed_in(browser_of, "reza")
    path = f"/desk/api/conversations/{CITIZEN}"
    assert (await ali.post(path + "/messages", json={"text": "سلام"}, headers=ali_csrf)).status == 403  # not taken
    assert (await ali.post(path + "/take", headers=ali_csrf)).status == 200
    sent = await ali.post(path + "/messages", json={"text": "<b>سلام</b>، پرونده را دیدم."}, headers=ali_csrf)
    assert sent.status == 200
    reply = (await outbox(desk))[-1]
    assert (reply["text"], reply["agent_name"]) == ("<b>سلام</b>، پرونده را دیدم.", "علی (کارشناس)")
    assert (await reza.post(path + "/messages", json={"text": "من هم"}, headers=reza_csrf)).status == 403
    for body in ({}, {"text": ""}, {"text": "   "}, {"text": "x" * 2001}, {"text": "a", "more": 1}):
        assert (await ali.post(path + "/messages", json=body, headers=ali_csrf)).status == 400, body
    await desk.app[HANDOFFS].citizen_message(CITIZEN, "ممنون")
    lines = (await (await ali.get(path)).json())["transcript"]
    assert [(line["author"], line["agent_name"], line["text"]) for line in lines[-2:]] == [
        ("agent", "علی", "<b>سلام</b>، پرونده را دیدم."),
        ("citizen", None, "ممنون"),
    ]


async def test_the_conversation_stream_brings_the_citizens_new_words(desk, browser_of):
    await queued(desk)
    ali, ali_csrf = await signed_in(browser_of, "ali")
    assert (await ali.post(f"/desk/api/conversations/{CITIZEN}/take", headers=ali_csrf)).status == 200
    async with ali.session.get(ali.make_url(f"/desk/api/conversations/{CITIZEN}/events")) as stream:
        name, shown = await next_event(stream)
        assert name == "conversation" and shown["state"] == "active" and shown["yours"] is True
        await desk.app[HANDOFFS].citizen_message(CITIZEN, "شماره من ۰۹۱۲۳۴۵۶۷۸۹ است")
        while len(shown["transcript"]) < 3:
            name, shown = await next_event(stream)
        assert shown["transcript"][-1]["text"] == "شماره من *********۸۹ است"


async def test_release_hands_back_to_the_bot_with_a_note(desk, browser_of):
    await queued(desk)
    ali, ali_csrf = await signed_in(browser_of, "ali")
    path = f"/desk/api/conversations/{CITIZEN}"
    assert (await ali.post(path + "/release", json={"note": "x"}, headers=ali_csrf)).status == 403
    assert (await ali.post(path + "/take", headers=ali_csrf)).status == 200
    released = await ali.post(path + "/release", json={"note": "راهنمایی شد"}, headers=ali_csrf)
    assert released.status == 200
    assert (await (await ali.get(path)).json())["state"] == "closed"
    assert (await (await ali.get("/desk/api/conversations")).json()) == {"conversations": []}
    assert (await ali.post(path + "/release", json={}, headers=ali_csrf)).status == 403
    async with desk.sessions() as session:
        [record] = (await session.execute(select(Handoff))).scalars()
    assert (record.outcome, record.release_note) == (Outcome.returned_to_bot, "راهنمایی شد")


async def test_transfer_to_another_agent_then_to_another_agency(desk, browser_of):
    await queued(desk)
    (ali, ali_csrf), (reza, reza_csrf) = await signed_in(browser_of, "ali"), await signed_in(browser_of, "reza")
    path = f"/desk/api/conversations/{CITIZEN}"
    assert (await ali.post(path + "/take", headers=ali_csrf)).status == 200
    targets = await (await ali.get("/desk/api/transfer-targets")).json()
    assert {"id": "tamin", "name": "تأمین اجتماعی"} in targets["agencies"]
    assert "reza" in [agent["username"] for agent in targets["agents"]]
    assert "ali" not in [agent["username"] for agent in targets["agents"]]
    for body, status in (({"agency": "tamin", "agent": "reza"}, 400), ({}, 400), ({"agency": "nowhere"}, 404)):
        assert (await ali.post(path + "/transfer", json=body, headers=ali_csrf)).status == status, body
    assert (await ali.post(path + "/transfer", json={"agent": "mina"}, headers=ali_csrf)).status == 404  # not sabt's
    moved = await ali.post(path + "/transfer", json={"agent": "reza", "note": "کارت ملی"}, headers=ali_csrf)
    assert moved.status == 200
    mine = await (await reza.get("/desk/api/conversations")).json()
    assert [c["conversation_id"] for c in mine["conversations"]] == [CITIZEN]
    assert (await ali.post(path + "/messages", json={"text": "هنوز؟"}, headers=ali_csrf)).status == 403
    assert (await reza.post(path + "/transfer", json={"agency": "tamin"}, headers=reza_csrf)).status == 200
    mina, _ = await signed_in(browser_of, "mina")
    queue = await (await mina.get("/desk/api/queue")).json()
    assert [item["conversation_id"] for item in queue["waiting"]] == [CITIZEN]
    # The transcript goes with it, from the first stay on.
    shown = await (await mina.get(path)).json()
    assert (shown["state"], shown["agency"], len(shown["transcript"])) == ("waiting", "tamin", 2)
    assert "به کارشناسان بخش دیگری سپرده شد" in (await outbox(desk))[-1]["text"]
    async with desk.sessions() as session:
        stays = (await session.execute(select(Handoff).order_by(Handoff.id))).scalars().all()
    assert [(s.agency, s.outcome) for s in stays] == [
        ("sabt", Outcome.transferred),
        ("sabt", Outcome.transferred),
        ("tamin", None),
    ]


async def test_canned_replies_are_the_general_ones_and_the_agencys(desk, browser_of):
    await queued(desk)
    ali, _ = await signed_in(browser_of, "ali")
    shown = await (await ali.get(f"/desk/api/conversations/{CITIZEN}")).json()
    assert shown["canned_replies"] == CANNED[:2]


async def test_the_call_back_list(desk, browser_of):
    sealer = desk.app[DESK_WEB].sealer
    async with desk.sessions() as session, session.begin():
        for agency, phone in (("sabt", "09121234567"), ("tamin", "09350000000")):
            callback = Callback(conversation_id=f"sms:{agency}", channel="sms", agency=agency, reason="request_human:closed")
            callback.seal_phone(sealer, phone)
            callback.preferred_time, callback.created_at = "عصر", desk.clock()
            session.add(callback)
    ali, csrf = await signed_in(browser_of, "ali")
    [listed] = (await (await ali.get("/desk/api/callbacks")).json())["callbacks"]
    assert (listed["agency"], listed["phone"], listed["status"], listed["preferred_time"]) == (
        "sabt",
        "*********67",
        "requested",
        "عصر",
    )
    one = f"/desk/api/callbacks/{listed['id']}"
    assert (await ali.post(one, json={"status": "requested"}, headers=csrf)).status == 400
    assert (await ali.post(one, json={"status": "called"}, headers=csrf)).status == 200
    [called] = (await (await ali.get("/desk/api/callbacks")).json())["callbacks"]
    assert (called["status"], called["handled_by"]) == ("called", "علی")
    revealed = await ali.post(one + "/reveal", headers=csrf)
    assert await revealed.json() == {"id": listed["id"], "phone": "09121234567"}
    assert (await ali.post(f"/desk/api/callbacks/{listed['id'] + 1}/reveal", headers=csrf)).status == 404  # tamin's
    assert (await ali.post(one, json={"status": "done"}, headers=csrf)).status == 200
    assert (await (await ali.get("/desk/api/callbacks")).json()) == {"callbacks": []}
    async with desk.sessions() as session:
        rows = (await session.execute(select(AuditEntry).where(AuditEntry.target == f"callback:{listed['id']}"))).scalars()
        audited = [(row.action, row.detail) for row in rows]
        [status] = (await session.execute(select(Callback.status).where(Callback.id == listed["id"]))).scalars()
    assert audited == [("callback", {"status": "called"}), ("reveal", {}), ("callback", {"status": "done"})]
    assert status is CallbackStatus.done


async def test_handoff_codes_and_the_guides_to_choose_from(desk, browser_of):
    ali, csrf = await signed_in(browser_of, "ali")
    guides = (await (await ali.get("/desk/api/guides")).json())["guides"]
    assert "passport-new" in [guide["id"] for guide in guides] and all(guide["title"] for guide in guides)
    made = await ali.post("/desk/api/handoff-codes", json={"guide": "passport-new", "note": "عکس"}, headers=csrf)
    assert made.status == 201
    body = await made.json()
    assert body["code"].startswith("H-") and "expires_at" in body


async def test_every_state_change_needs_the_csrf_token(desk, browser_of):
    await queued(desk)
    ali, csrf = await signed_in(browser_of, "ali")
    posts = [path for method, path, _ in api_routes(ali.server.app) if method == "POST" and path != "/desk/api/login"]
    assert len(posts) == 9
    for path in posts:
        response = await ali.post(path.replace("/x/", f"/{CITIZEN}/") if "conversations" in path else path, json={})
        assert response.status == 403 and (await response.json())["error"] == "csrf", path
    assert (await ali.post(f"/desk/api/conversations/{CITIZEN}/take", headers=csrf)).status == 200


async def test_supervisors_are_pushed_the_citizens_waiting_too_long(desk, browser_of):
    ali, _ = await signed_in(browser_of, "ali")
    assert (await ali.get("/desk/api/supervisor/events")).status == 403
    sara, _ = await signed_in(browser_of, "sara")
    await desk.queue.enqueue(desk.item("telegram:1", "sabt"))
    async with sara.session.get(sara.make_url("/desk/api/supervisor/events")) as stream:
        name, view = await next_event(stream)
        assert (name, view["waiting"], view["overdue"]) == ("supervisor", 1, [])
        desk.clock.advance(minutes=10)  # the alert limit
        assert [w.item.conversation_id for w in await desk.app[DESK_WEB].alerts.check()] == ["telegram:1"]
        name, view = await next_event(stream)
        assert [item["conversation_id"] for item in view["overdue"]] == ["telegram:1"]
        assert view["overdue"][0]["waiting_seconds"] == 600
        assert await desk.app[DESK_WEB].alerts.check() == []  # once


async def test_without_the_data_key_the_desk_is_off_and_says_so(redis_server, redis, monkeypatch, tmp_path, caplog):
    from aiohttp.test_utils import TestClient, TestServer

    monkeypatch.delenv("HAMYAR_DATA_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}")
    caplog.set_level(logging.WARNING)
    app = create_app(gateway_settings(redis_server))
    assert HANDOFFS not in app and DESK_WEB not in app
    warnings = [r.getMessage() for r in caplog.records if "desk" in r.getMessage() and "HAMYAR_DATA_KEY" in r.getMessage()]
    assert len(warnings) == 1
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        page = await client.get("/desk/")
        assert page.status == 503 and "راه‌اندازی نشده است" in await page.text()
        assert "script" not in await page.text()
        api = await client.post("/desk/api/login", json={"username": "ali", "password": PASSWORD})
        assert api.status == 503 and await api.json() == {"error": "not_configured"}
        assert (await client.get("/desk")).status == 503
