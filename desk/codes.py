"""Handoff codes: a call-centre agent on the phone gives a caller ``H-ABCDE`` (or a link holding it)
that opens the bot inside a guide, the case lookup or the complaint form.

A code is five letters from an alphabet without look-alikes (no O, I or L), read back in any case,
stored as a ``HandoffCode`` row, used once and only before it expires (``handoff_code_hours``).
Redeeming is one conditional UPDATE, so two redeems of one code at once cannot both win. Every
issue and redeem is audited with the code, never with the citizen's identifiers.

``CodeDoor`` is what the gateway's router asks before a turn goes to Rasa: a message that looks
like a code is redeemed into an internal payload (``/handoff_code{…}``), or answered kindly when
the code is wrong, spent, or the conversation has guessed too often (counted in Redis).
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Optional
from urllib.parse import quote

import redis.asyncio as aioredis
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.channel_config import channel_entries
from connectors.models import InboundMessage
from desk.audit import audit
from desk.models import CodeKind, HandoffCode, StaffUser, utcnow
from desk.settings import DeskSettings

# Upper-case Latin letters a caller cannot mistake for a digit or for each other on the phone.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ"
LETTERS = 5
PREFIX = "H-"
# What the agent's note may hold: it travels inside the payload to Rasa (bot/channel.py allows
# 512 characters of entities) and is shown as one short message.
NOTE_CHARS = 300
_PAYLOAD_ENTITIES = 500

# Dashes a phone keyboard may give for "-": Persian keyboards' kashida, Unicode dashes and minus.
_DASHES = re.compile("[\u0640\u2010-\u2015\u2212\ufe63\uff0d_]")
# Invisible marks copying from right-to-left text brings along; a ZWNJ or NBSP counts as a space.
_INVISIBLE = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SPACES = re.compile("[\u200c\u00a0\u202f\\s]+")
# The whole message is a code: "H-ABCDE", "h abcde", "h - abcde", or "hABCDE" with the letters in
# capitals (so a word such as "hamyar" is never read as one).
_WHOLE = re.compile(r"[Hh](?: ?- ?| )([A-Za-z]{5})|[Hh]([A-Z]{5})")
# A short forwarded text or link holding one: only the written form with its hyphen.
_INSIDE = re.compile(r"(?<![A-Za-z0-9])[Hh]-([A-Za-z]{5})(?![A-Za-z0-9])")
SHORT_MESSAGE = 200


def read_code(text: Optional[str]) -> Optional[str]:
    """The code a short message holds, as ``H-ABCDE``; None for ordinary text."""
    if not text or len(text) > SHORT_MESSAGE:
        return None
    cleaned = _SPACES.sub(" ", _DASHES.sub("-", _INVISIBLE.sub("", text))).strip().rstrip(".!?؟").strip()
    match = _WHOLE.fullmatch(cleaned) or _INSIDE.search(cleaned)
    if match is None:
        return None
    return PREFIX + next(group for group in match.groups() if group).upper()


def new_letters() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LETTERS))


def clean_note(note: str) -> str:
    """The agent's note as one line of plain text, at most NOTE_CHARS long."""
    return _SPACES.sub(" ", "".join(c if c.isprintable() else " " for c in note)).strip()[:NOTE_CHARS]


@dataclass(frozen=True)
class Handed:
    """What a redeemed code opens."""

    kind: CodeKind
    target: Optional[str]
    note: str

    def payload(self) -> str:
        """The internal payload Rasa gets (the intent ``handoff_code``, bot/domain.yml)."""
        entities = {"handoff_kind": self.kind.value, "handoff_target": self.target or "", "handoff_note": self.note}
        note = self.note
        while True:
            text = json.dumps({**entities, "handoff_note": note}, ensure_ascii=False, separators=(",", ":"))
            if len(text) <= _PAYLOAD_ENTITIES or not note:
                return "/handoff_code" + text
            note = note[:-10]  # escapes made it longer than the channel takes: shorten the note


async def issue(
    session: AsyncSession,
    kind: CodeKind,
    target: Optional[str],
    note: str,
    created_by: Optional[StaffUser],
    now: Optional[datetime] = None,
    *,
    settings: Optional[DeskSettings] = None,
    draw: Callable[[], str] = new_letters,
) -> HandoffCode:
    """A new code in the session (flushed; the caller commits), retried while it collides with
    one issued before. ``draw`` gives the letters (tests choose them)."""
    settings = settings or DeskSettings()
    now = now or utcnow()
    while True:
        code = PREFIX + draw()
        if await session.scalar(select(HandoffCode.id).where(HandoffCode.code == code)) is None:
            break
    row = HandoffCode(
        code=code,
        kind=kind,
        target=target,
        note=clean_note(note),
        created_by=created_by,
        created_at=now,
        expires_at=now + timedelta(hours=settings.handoff_code_hours),
    )
    session.add(row)
    audit(session, "code_issued", created_by, code, {"kind": kind.value, "target": target or ""}, at=now)
    await session.flush()
    return row


async def redeem(session: AsyncSession, code: str, now: Optional[datetime] = None, channel: str = "") -> Optional[Handed]:
    """What the code opens, once: None when it is unknown, used or expired. Added to the session
    with its audit entry; the caller commits."""
    handed, _ = await redeem_with_reason(session, code, now, channel)
    return handed


async def redeem_with_reason(
    session: AsyncSession, code: str, now: Optional[datetime] = None, channel: str = ""
) -> tuple[Optional[Handed], str]:
    """``redeem``, and why: "redeemed", "unknown", "used" or "expired"."""
    now = now or utcnow()
    code = code.upper()
    # One statement decides: whichever redeem's UPDATE comes second finds used_at set.
    taken = await session.execute(
        update(HandoffCode)
        .where(HandoffCode.code == code, HandoffCode.used_at.is_(None), HandoffCode.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    row = await session.scalar(select(HandoffCode).where(HandoffCode.code == code).execution_options(populate_existing=True))
    if taken.rowcount == 1 and row is not None:  # type: ignore[attr-defined]  # a CursorResult
        reason = "redeemed"
    else:
        reason = "unknown" if row is None else "used" if row.used_at is not None else "expired"
    # The channel only: the conversation and the citizen stay out of the audit log.
    audit(
        session,
        "code_redeemed" if reason == "redeemed" else "code_refused",
        None,
        code,
        {"reason": reason, "channel": channel},
        at=now,
    )
    await session.flush()
    if reason != "redeemed" or row is None:
        return None, reason
    return Handed(kind=row.kind, target=row.target, note=row.note), reason


def links(code: str, settings: Optional[DeskSettings] = None, channels: Optional[Path] = None) -> dict[str, str]:
    """Links that open the bot with the code: each messenger of config/channels.yml whose bot
    username is set (``start_link``), and the web chat when the public address is known."""
    settings = settings or DeskSettings()
    found = {}
    for entry in channel_entries("messengers", channels):
        username, shape = entry.get("username"), entry.get("start_link")
        if username and shape:
            found[entry["name"]] = shape.format(username=username, start=quote(code))
    if settings.public_url:
        found["web"] = f"{settings.public_url.rstrip('/')}/?code={quote(code)}"
    return found


@dataclass(frozen=True)
class Opened:
    """A message that held a code: the payload it opened, or the key of a kind refusal (bot/replies.yml)."""

    payload: Optional[str] = None
    reply: Optional[str] = None
    values: dict[str, str] = field(default_factory=dict)


_WRONG = "hamyar:codes:wrong:"


class CodeDoor:
    """Reads handoff codes in citizens' messages for the router: redeemed, refused, or not a code."""

    def __init__(
        self,
        redis: aioredis.Redis,
        sessions: Callable[[], AsyncSession],
        settings: Optional[DeskSettings] = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._redis = redis
        self._sessions = sessions
        self._settings = settings or DeskSettings()
        self._clock = clock

    @staticmethod
    def _counters(message: InboundMessage) -> list[str]:
        # Per conversation and per person: a messenger user cannot start new chats to guess more.
        return [f"{_WRONG}c:{message.conversation_id}", f"{_WRONG}u:{message.channel}:{message.user_id}"]

    async def read(self, message: InboundMessage) -> Optional[Opened]:
        """None when the message is not a code (the turn goes on as it was)."""
        code = read_code(message.text)
        if code is None:
            return None
        counters = self._counters(message)
        limit = self._settings.handoff_code_wrong_guesses
        if limit > 0 and any(int(n or 0) >= limit for n in await self._redis.mget(counters)):
            return Opened(reply="handoff_code_too_many")  # not even looked up
        async with self._sessions() as session:
            handed, reason = await redeem_with_reason(session, code, self._clock(), message.channel)
            await session.commit()
        if handed is not None:
            return Opened(payload=handed.payload())
        seconds = max(1, int(self._settings.handoff_code_guess_minutes * 60))
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in counters:
                pipe.set(key, 0, ex=seconds, nx=True)  # the window starts at the first wrong code
                pipe.incr(key)
            await pipe.execute()
        return Opened(reply="handoff_code_wrong" if reason == "unknown" else "handoff_code_spent")
