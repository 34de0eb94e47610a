"""A conversation as the staff desk reads it: where it is (waiting, with whom), and its whole
transcript — the bot's words, the citizen's and every agent's — with numbers masked, and the
audited reveal of one message in full.

The transcript is the conversation's latest stay at the desk together with the stays it was
transferred from (desk/handoff.py ends a stay as "transferred" and opens the next), oldest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from agencies.sealing import Sealer
from desk.audit import audit
from desk.models import Author, Handoff, Outcome, StaffUser, TranscriptEntry
from desk.queue import HandoffQueue
from nlu.identifiers import mask_numbers

# Stays of one conversation read back at most: a transfer chain longer than this is cut.
MAX_STAYS = 20


@dataclass(frozen=True)
class Line:
    id: int
    at: datetime
    author: Author
    # The agent's first name (or username) for an agent's words; empty otherwise.
    agent_name: str
    text: str  # numbers masked
    # Masking hid something: the agent who has the conversation may reveal it.
    masked: bool


@dataclass(frozen=True)
class Conversation:
    conversation_id: str
    channel: str
    agency: Optional[str]
    reason: str
    priority_reasons: tuple[str, ...]
    # waiting, active (an agent has it) or closed (back with the bot).
    state: str
    # The agent who has it: their id (as the queue keeps it) and name; None when nobody has.
    agent_id: Optional[int]
    agent_name: Optional[str]
    queued_at: datetime
    lines: tuple[Line, ...]


def staff_name(user: Optional[StaffUser]) -> str:
    if user is None:
        return ""
    return user.first_name or user.username


async def _stays(session: AsyncSession, conversation_id: str) -> list[Handoff]:
    """The latest stay and those it came from by transfer, oldest first."""
    found = await session.execute(
        select(Handoff)
        .where(Handoff.conversation_id == conversation_id)
        .order_by(Handoff.id.desc())
        .limit(MAX_STAYS)
        .options(selectinload(Handoff.transcript).selectinload(TranscriptEntry.agent))
    )
    stays: list[Handoff] = []
    for stay in found.scalars():
        if stays and stay.outcome is not Outcome.transferred:
            break
        stays.append(stay)
    return stays[::-1]


async def read_conversation(
    session: AsyncSession, queue: HandoffQueue, sealer: Sealer, conversation_id: str
) -> Optional[Conversation]:
    """The conversation, None when it has never been at the desk."""
    stays = await _stays(session, conversation_id)
    if not stays:
        return None
    latest, status = stays[-1], await queue.status(conversation_id)
    agent_id = int(status.agent_id) if status is not None and status.agent_id and status.agent_id.isdigit() else None
    agent = await session.get(StaffUser, agent_id) if agent_id is not None else None
    lines = []
    for stay in stays:
        for entry in stay.transcript:
            text = entry.text(sealer)
            shown = mask_numbers(text)
            lines.append(Line(entry.id, entry.at, entry.author, staff_name(entry.agent), shown, shown != text))
    return Conversation(
        conversation_id=conversation_id,
        channel=latest.channel,
        agency=status.item.agency if status is not None else latest.agency,
        reason=latest.reason,
        priority_reasons=tuple(latest.priority_reasons),
        state=status.state if status is not None else "closed",
        agent_id=agent_id,
        agent_name=staff_name(agent) if agent is not None else None,
        queued_at=stays[0].queued_at,
        lines=tuple(lines),
    )


async def reveal(
    session: AsyncSession, sealer: Sealer, conversation_id: str, entry_id: int, agent: StaffUser, now: datetime
) -> Optional[str]:
    """The message in full, for the agent who has the conversation (the caller checks that), with
    an audit entry naming the agent, the conversation and the message, never its words. None when
    the message is not this conversation's."""
    ids = {entry.id for stay in await _stays(session, conversation_id) for entry in stay.transcript}
    if entry_id not in ids:
        return None
    entry = await session.get(TranscriptEntry, entry_id)
    if entry is None:
        return None
    audit(session, "reveal", await session.get(StaffUser, agent.id), conversation_id, {"entry": entry_id}, at=now)
    return entry.text(sealer)
