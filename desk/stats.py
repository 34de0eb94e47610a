"""The supervisor's figures: who waits and who is with an agent now (the queue in Redis), and what
was handled today (the handoff history in the database)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, time
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.models import Handoff
from desk.queue import HandoffQueue


@dataclass(frozen=True)
class DeskStats:
    waiting: int
    longest_wait_seconds: int
    active: int
    # Conversations an agent had and released since midnight (the desk's time zone).
    handled_today: int
    # Over today's handled conversations; None when there is none yet.
    average_wait_seconds: Optional[int]
    average_handling_seconds: Optional[int]


def start_of_day(now: datetime, zone: ZoneInfo) -> datetime:
    return datetime.combine(now.astimezone(zone).date(), time(), zone)


def _mean(values: list[float]) -> Optional[int]:
    return round(statistics.fmean(values)) if values else None


async def desk_stats(session: AsyncSession, queue: HandoffQueue, zone: ZoneInfo, now: datetime) -> DeskStats:
    waiting = await queue.waiting(now=now)
    rows = await session.execute(
        select(Handoff.queued_at, Handoff.taken_at, Handoff.released_at).where(
            Handoff.released_at >= start_of_day(now, zone), Handoff.released_at <= now, Handoff.taken_at.is_not(None)
        )
    )
    handled = [(queued, taken, released) for queued, taken, released in rows if taken is not None and released is not None]
    return DeskStats(
        waiting=len(waiting),
        longest_wait_seconds=max((w.waiting_seconds for w in waiting), default=0),
        active=await queue.active_count(),
        handled_today=len(handled),
        average_wait_seconds=_mean([(taken - queued).total_seconds() for queued, taken, _ in handled]),
        average_handling_seconds=_mean([(released - taken).total_seconds() for _, taken, released in handled]),
    )
