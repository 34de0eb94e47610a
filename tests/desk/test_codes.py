"""desk/codes.py: handoff codes issued, read back, redeemed once, and the guessing limit."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from connectors.models import InboundMessage
from desk.codes import ALPHABET, CodeDoor, Handed, issue, links, read_code, redeem
from desk.db import session_factory
from desk.models import AuditEntry, CodeKind, HandoffCode, Role, StaffUser
from desk.settings import DeskSettings

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
async def agent(session) -> StaffUser:
    user = StaffUser(username="sara", first_name="سارا", role=Role.agent, password_hash="x")
    session.add(user)
    await session.commit()
    return user


def letters(*drawn: str):
    queue = list(drawn)
    return lambda: queue.pop(0)


async def test_a_code_is_h_and_five_letters_without_look_alikes(session, agent):
    assert not set("0O1IL") & set(ALPHABET) and len(ALPHABET) == 23
    codes = [(await issue(session, CodeKind.guide, "passport-new", "", agent, NOW)).code for _ in range(40)]
    await session.commit()
    assert all(re.fullmatch(r"H-[ABCDEFGHJKMNPQRSTUVWXYZ]{5}", code) for code in codes)
    assert len(set(codes)) == len(codes)


async def test_a_collision_draws_again(session, agent):
    first = await issue(session, CodeKind.case, None, "", agent, NOW, draw=letters("ABCDE"))
    second = await issue(session, CodeKind.case, None, "", agent, NOW, draw=letters("ABCDE", "ABCDE", "FGHJK"))
    await session.commit()
    assert (first.code, second.code) == ("H-ABCDE", "H-FGHJK")


async def test_a_code_opens_once_what_the_agent_chose_with_the_note(session, agent):
    row = await issue(session, CodeKind.guide, "passport-new", "  مدارک را\nآماده کنید ", agent, NOW)
    await session.commit()
    assert row.expires_at == NOW + timedelta(hours=24) and row.note == "مدارک را آماده کنید"
    handed = await redeem(session, row.code.lower(), NOW + timedelta(hours=1))
    await session.commit()
    assert handed == Handed(CodeKind.guide, "passport-new", "مدارک را آماده کنید")
    assert await redeem(session, row.code, NOW + timedelta(hours=2)) is None
    assert await redeem(session, "H-ZZZZZ", NOW) is None


async def test_a_code_expires_after_its_hours(session, agent, database_url):
    settings = DeskSettings(database_url=database_url, handoff_code_hours=2)
    row = await issue(session, CodeKind.complaint, None, "", agent, NOW, settings=settings)
    await session.commit()
    assert await redeem(session, row.code, NOW + timedelta(hours=2)) is None
    later = await issue(session, CodeKind.complaint, None, "", agent, NOW, settings=settings)
    await session.commit()
    assert await redeem(session, later.code, NOW + timedelta(hours=1, minutes=59)) is not None


async def test_two_redeems_at_once_one_wins(engine, session, agent):
    row = await issue(session, CodeKind.case, None, "", agent, NOW)
    await session.commit()
    sessions = session_factory(engine)

    async def one() -> bool:
        async with sessions() as own:
            handed = await redeem(own, row.code, NOW + timedelta(minutes=5))
            await own.commit()
            return handed is not None

    for _ in range(3):  # each round a fresh code, raced by two sessions
        results = await asyncio.gather(one(), one())
        assert sorted(results) == [False, True]
        row = await issue(session, CodeKind.case, None, "", agent, NOW)
        await session.commit()


async def test_issue_and_redeem_are_audited_without_the_citizen(session, agent):
    row = await issue(session, CodeKind.guide, "passport-new", "یادداشت", agent, NOW)
    await session.commit()
    await redeem(session, row.code, NOW, channel="telegram")
    await redeem(session, row.code, NOW, channel="web")
    await session.commit()
    entries = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert [(e.action, e.target, e.actor_id) for e in entries] == [
        ("code_issued", row.code, agent.id),
        ("code_redeemed", row.code, None),
        ("code_refused", row.code, None),
    ]
    assert entries[0].detail == {"kind": "guide", "target": "passport-new"}
    assert entries[1].detail == {"reason": "redeemed", "channel": "telegram"}
    assert entries[2].detail == {"reason": "used", "channel": "web"}


@pytest.mark.parametrize(
    "text",
    ["H-ABCDE", "h-abcde", "h abcde", "hABCDE", "HABCDE", "H ـ ABCDE", "H–ABCDE", "\u200fH-ABCDE\u200f", " h\u200cabcde. ",
     "کد همیار شما: H-ABCDE", "https://t.me/hamyar_bot?start=H-ABCDE"],
)  # fmt: skip
def test_codes_are_read_in_the_shapes_people_type(text):
    assert read_code(text) == "H-ABCDE"


@pytest.mark.parametrize(
    "text", ["hamyar", "hello", "سلام", "H-ABCD", "H-ABCDEF", "xH-ABCDE", "پاسپورت می‌خواهم", "0912 345 6789", "h" + "a" * 300]
)
def test_ordinary_text_is_not_a_code(text):
    assert read_code(text) is None


def test_the_payload_carries_the_note_within_what_the_rasa_channel_takes():
    payload = Handed(CodeKind.guide, "passport-new", '"' * 300).payload()
    assert payload.startswith("/handoff_code{") and len(payload) - len("/handoff_code") <= 514
    entities = json.loads(payload[len("/handoff_code") :])
    assert entities["handoff_kind"] == "guide" and entities["handoff_target"] == "passport-new"
    assert set(entities["handoff_note"]) == {'"'}


def test_links_for_each_messenger_with_a_username_and_the_web_chat(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "hamyar_bot")
    monkeypatch.setenv("BALE_BOT_USERNAME", "hamyar_bale")
    monkeypatch.setenv("SPLUS_BOT_USERNAME", "hamyar_splus")
    found = links("H-ABCDE", DeskSettings(public_url="https://hamyar.example/"))
    assert found == {
        "telegram": "https://t.me/hamyar_bot?start=H-ABCDE",
        "bale": "https://ble.ir/hamyar_bale?start=H-ABCDE",
        "splus": "https://splus.ir/hamyar_splus?start=H-ABCDE",
        "web": "https://hamyar.example/?code=H-ABCDE",
    }
    monkeypatch.delenv("BALE_BOT_USERNAME")
    assert "bale" not in links("H-ABCDE", DeskSettings(public_url=""))


def message(text: str, chat: str = "c1", user: str = "u1", channel: str = "telegram") -> InboundMessage:
    return InboundMessage(channel=channel, chat_id=chat, user_id=user, message_id="m", text=text)


async def test_the_door_opens_a_code_and_refuses_kindly(engine, session, agent, redis):
    door = CodeDoor(redis, session_factory(engine), clock=lambda: NOW)
    row = await issue(session, CodeKind.complaint, None, "", agent, NOW - timedelta(hours=1))
    old = await issue(session, CodeKind.complaint, None, "", agent, NOW - timedelta(hours=25))
    await session.commit()
    assert await door.read(message("پاسپورت می‌خواهم")) is None
    opened = await door.read(message(row.code.replace("-", " ").lower()))
    assert opened is not None and opened.payload is not None and opened.payload.startswith("/handoff_code{")
    assert (await door.read(message(row.code))).reply == "handoff_code_spent"  # type: ignore[union-attr]
    assert (await door.read(message(old.code))).reply == "handoff_code_spent"  # type: ignore[union-attr]
    assert (await door.read(message("H-ZZZZZ"))).reply == "handoff_code_wrong"  # type: ignore[union-attr]


async def test_after_five_wrong_codes_none_is_looked_up(engine, session, agent, redis, database_url):
    settings = DeskSettings(database_url=database_url, handoff_code_wrong_guesses=5, handoff_code_guess_minutes=60)
    door = CodeDoor(redis, session_factory(engine), settings, clock=lambda: NOW)
    good = await issue(session, CodeKind.case, None, "", agent, NOW)
    await session.commit()
    for _ in range(5):
        assert (await door.read(message("H-ZZZZZ"))).reply == "handoff_code_wrong"  # type: ignore[union-attr]
    # The sixth, even a good one, is not looked up: the code stays unused.
    assert (await door.read(message(good.code))).reply == "handoff_code_too_many"  # type: ignore[union-attr]
    assert (await session.scalar(select(HandoffCode.used_at).where(HandoffCode.code == good.code))) is None
    # The same person in another chat is counted too; someone else is not.
    assert (await door.read(message(good.code, chat="c2"))).reply == "handoff_code_too_many"  # type: ignore[union-attr]
    assert (await door.read(message(good.code, chat="c3", user="u3"))).payload is not None  # type: ignore[union-attr]
    # The window has an end.
    ttl = await redis.ttl("hamyar:codes:wrong:c:telegram:c1")
    assert 0 < ttl <= 3600
