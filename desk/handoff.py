"""Bot → human: a conversation's stay with the desk, joining the Redis queue and the database.

The gateway's divert (desk/divert.py) calls ``start``, ``citizen_message`` and ``cancel``; the
staff pages call ``take``, ``agent_message`` and ``release``. Redis says who waits and who has
whom (desk/queue.py); the database keeps each stay (``Handoff``) with its transcript, sealed.
What reaches the citizen goes out through an ``Outlet``, which the gateway provides.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Optional, Protocol, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agencies.sealing import Sealer
from connectors.models import OutboundMessage
from desk.desk_config import DeskConfig
from desk.models import AuditEntry, Author, Handoff, Outcome, StaffUser, TranscriptEntry
from desk.priority import Facts, priority_of
from desk.queue import HandoffQueue, Position, QueueItem, Take, Transfer
from desk.wording import agent_label, place_message, transferred_message
from nlu.logtag import conversation_tag

logger = logging.getLogger("desk.handoff")
# What the bot is sent when an agent hands a conversation back (bot/domain.yml's intent).
HANDBACK = "/handback"


class Outlet(Protocol):
    """The gateway's side: whether a conversation can be written to later, sending to it, and
    running one turn of the bot for it."""

    def reachable(self, conversation_id: str) -> bool: ...

    async def send(self, conversation_id: str, messages: list[OutboundMessage]) -> bool: ...

    async def resume(self, conversation_id: str, payload: str) -> None: ...


@dataclass(frozen=True)
class Turn:
    """A message of the conversation before the handoff, for its transcript."""

    author: Author
    text: str


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class HandoffService:
    queue: HandoffQueue
    sessions: async_sessionmaker[AsyncSession]
    config: DeskConfig
    sealer: Sealer
    outlet: Outlet
    clock: Callable[[], datetime] = _utc_now

    def now(self) -> datetime:
        return self.clock()

    async def position(self, conversation_id: str, item: Optional[list[Optional[str]]] = None) -> Optional[Position]:
        """The citizen's place (0: with an agent), None when the conversation is with the bot;
        from ``item`` when the caller has read it (``queue.item_in``)."""
        if item is not None:
            return await self.queue.position_of(conversation_id, item, self.now())
        return await self.queue.position(conversation_id, self.now())

    async def start(
        self,
        conversation_id: str,
        channel: str,
        agency: str,
        reason: str,
        turns: Sequence[Turn] = (),
        case: Optional[str] = None,
        case_waiting_on_citizen: bool = False,
    ) -> Position:
        """The conversation joins its agency's queue, its last turns in the transcript. A
        conversation already at the desk keeps its place and its record. ``case`` (the case last
        shown, ``agency:code``) and whether it waits on the citizen feed the priority rules."""
        now = self.now()
        position = await self.queue.position(conversation_id, now)
        if position is not None:
            return position
        contacts = await self.queue.contact_about(self.sealer.digests(case)[0]) if case else 0
        facts = Facts(reason=reason, contacts_about_case=contacts, case_waiting_on_citizen=case_waiting_on_citizen)
        priority = priority_of(self.config.priorities, facts)
        said = [turn for turn in turns if turn.text.strip()]
        preview = next((turn.text for turn in reversed(said) if turn.author is Author.citizen), "")
        async with self.sessions() as session, session.begin():
            handoff = Handoff(
                conversation_id=conversation_id,
                channel=channel,
                agency=agency,
                reason=reason,
                priority=priority.value,
                priority_reasons=list(priority.reasons),
                queued_at=now,
            )
            handoff.transcript = [TranscriptEntry.sealed(self.sealer, turn.text, turn.author, at=now) for turn in said]
            session.add(handoff)
        item = QueueItem(conversation_id, channel, agency, reason, now, priority.value, priority.reasons, preview)
        position = await self.queue.enqueue(item, now)
        logger.info("handoff queued conversation=%s agency=%s reason=%s", conversation_tag(conversation_id), agency, reason)
        return position

    async def citizen_message(self, conversation_id: str, text: str) -> bool:
        """A message of a citizen waiting or with an agent: the desk's list and the transcript.
        False when the conversation is not at the desk."""
        now = self.now()
        if not await self.queue.append_message(conversation_id, text, now):
            return False
        await self._transcribe(conversation_id, Author.citizen, text, now)
        await self.queue.announce("transcript")  # open desk pages read the transcript again
        return True

    async def cancel(self, conversation_id: str) -> bool:
        """The waiting citizen went back to the bot («لغو»); False when they were not waiting."""
        if not await self.queue.cancel(conversation_id):
            return False
        async with self.sessions() as session, session.begin():
            handoff = await _open_handoff(session, conversation_id)
            if handoff is not None:
                handoff.released_at, handoff.outcome = self.now(), Outcome.cancelled
        logger.info("handoff cancelled conversation=%s", conversation_tag(conversation_id))
        return True

    async def take(self, conversation_id: str, agent: StaffUser) -> Take:
        """The agent takes a waiting conversation; of two agents racing, exactly one wins."""
        now = self.now()
        result = await self.queue.take(conversation_id, str(agent.id), agent.capacity, now)
        if result is not Take.TAKEN:
            return result
        async with self.sessions() as session, session.begin():
            handoff = await _open_handoff(session, conversation_id)
            if handoff is not None:
                handoff.taken_at, handoff.agent_id = now, agent.id
            session.add(_audited("take", agent, conversation_id, now))
        # Not left wondering: a person has the conversation now.
        await self.outlet.send(conversation_id, [OutboundMessage(text=place_message(Position(0, 0)))])
        return result

    async def agent_message(self, conversation_id: str, agent: StaffUser, text: str) -> bool:
        """The agent's words to the citizen, on the citizen's own channel and in the transcript.
        False when the agent does not have the conversation."""
        text = text.strip()
        if not text or not await self._has(agent, conversation_id):
            return False
        await self._transcribe(conversation_id, Author.agent, text, self.now(), agent)
        await self.queue.announce("transcript")
        message = OutboundMessage(text=text, agent_name=agent_label(agent.first_name))
        return await self.outlet.send(conversation_id, [message])

    async def transfer_to_agency(self, conversation_id: str, agent: StaffUser, agency: str, note: str = "") -> bool:
        """Back into ``agency``'s queue (at the place the citizen's first arrival gives them): this
        stay ends as transferred and a new one waits. False when the agent does not have it."""
        if not await self.queue.to_agency(conversation_id, str(agent.id), agency):
            return False
        await self._restay(conversation_id, agent, {"agency": agency}, note, agency=agency)
        position = await self.queue.position(conversation_id, self.now()) or Position(0, 0)
        await self.outlet.send(conversation_id, [OutboundMessage(text=transferred_message(position))])
        return True

    async def transfer_to_agent(self, conversation_id: str, agent: StaffUser, receiver: StaffUser, note: str = "") -> Transfer:
        """To another agent, within their capacity: this stay ends as transferred and the
        receiver's begins, taken at once."""
        result = await self.queue.to_agent(conversation_id, str(agent.id), str(receiver.id), receiver.capacity, self.now())
        if result is Transfer.DONE:
            await self._restay(conversation_id, agent, {"agent": receiver.username}, note, receiver=receiver)
            await self.outlet.send(conversation_id, [OutboundMessage(text=transferred_message(Position(0, 0)))])
        return result

    async def _restay(
        self,
        conversation_id: str,
        agent: StaffUser,
        detail: dict[str, str],
        note: str,
        agency: Optional[str] = None,
        receiver: Optional[StaffUser] = None,
    ) -> None:
        now = self.now()
        async with self.sessions() as session, session.begin():
            ended = await _open_handoff(session, conversation_id)
            if ended is not None:
                _close(ended, Outcome.transferred, agent, note, now)
                session.add(
                    Handoff(
                        conversation_id=conversation_id,
                        channel=ended.channel,
                        agency=agency or ended.agency,
                        reason=ended.reason,
                        priority=ended.priority,
                        priority_reasons=list(ended.priority_reasons),
                        queued_at=now,
                        taken_at=now if receiver is not None else None,
                        agent_id=receiver.id if receiver is not None else None,
                    )
                )
            session.add(AuditEntry(at=now, actor_id=agent.id, action="transfer", target=conversation_id, detail=detail))
        logger.info("handoff transferred conversation=%s", conversation_tag(conversation_id))

    async def release(self, conversation_id: str, agent: StaffUser, note: str = "") -> bool:
        """Hand back to the bot: the agent's note kept for the desk (never shown to the citizen),
        the stay closed, and the bot told with one internal turn, which answers the citizen.
        False when the agent does not have the conversation."""
        if not await self._has(agent, conversation_id):
            return False
        now = self.now()
        if await self.queue.release(conversation_id, now) is None:
            return False
        async with self.sessions() as session, session.begin():
            handoff = await _open_handoff(session, conversation_id)
            if handoff is not None:
                _close(handoff, Outcome.returned_to_bot, agent, note, now)
            session.add(_audited("release", agent, conversation_id, now))
        logger.info("handoff returned to the bot conversation=%s", conversation_tag(conversation_id))
        await self.outlet.resume(conversation_id, HANDBACK)
        return True

    async def _has(self, agent: StaffUser, conversation_id: str) -> bool:
        return any(active.item.conversation_id == conversation_id for active in await self.queue.active(str(agent.id)))

    async def _transcribe(
        self, conversation_id: str, author: Author, text: str, at: datetime, agent: Optional[StaffUser] = None
    ) -> None:
        async with self.sessions() as session, session.begin():
            handoff = await _open_handoff(session, conversation_id)
            if handoff is None:  # in Redis without a record (the database was reset): nothing to add to
                logger.warning("no open handoff record conversation=%s", conversation_tag(conversation_id))
                return
            # By ids (not TranscriptEntry.sealed): the agent was read in another session.
            entry = TranscriptEntry(handoff_id=handoff.id, at=at, author=author, sealed_text=self.sealer.seal(text))
            entry.agent_id = agent.id if agent is not None else None
            session.add(entry)


async def _open_handoff(session: AsyncSession, conversation_id: str) -> Optional[Handoff]:
    """The conversation's stay at the desk that has not ended."""
    found = await session.execute(
        select(Handoff)
        .where(Handoff.conversation_id == conversation_id, Handoff.released_at.is_(None))
        .order_by(Handoff.id.desc())
        .limit(1)
    )
    return found.scalars().first()


def _close(handoff: Handoff, outcome: Outcome, agent: StaffUser, note: str, at: datetime) -> None:
    """End a stay at the desk; the agent's note is kept for the desk, never shown to the citizen."""
    handoff.released_at, handoff.outcome = at, outcome
    handoff.release_note = note.strip() or None
    handoff.agent_id = handoff.agent_id or agent.id


def _audited(action: str, agent: StaffUser, conversation_id: str, at: datetime) -> AuditEntry:
    """desk/audit.py's entry, by the agent's id: the agent was read in another session."""
    return AuditEntry(at=at, actor_id=agent.id, action=action, target=conversation_id, detail={})
