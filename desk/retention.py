"""Retention: handoffs (with their transcripts) and finished call-backs are deleted
HANDOFF_RETENTION_DAYS after they ended, case subscriptions and watched cases once they expired.
The README's retention table states it. The gateway runs it at start-up and then daily
(``purge_once``, ``keep_purging``), in one gateway process a day."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Optional

import redis.asyncio as aioredis
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from desk.models import Callback, CallbackStatus, CaseSubscription, Handoff, TranscriptEntry, WatchedCase
from desk.settings import DeskSettings

logger = logging.getLogger("desk.retention")
# Set (if absent) by the process that runs the day's purge, for a day less a minute: the others,
# and a process started again within the day, see it and leave the purge alone.
RAN = "hamyar:retention:ran"
DAY_SECONDS = 24 * 3600
# How often each process looks whether the day's purge is due: no day is missed when the process
# that ran it stops.
CHECK_SECONDS = 3600


@dataclass(frozen=True)
class Purged:
    handoffs: int
    transcript_entries: int
    callbacks: int
    subscriptions: int = 0
    watched_cases: int = 0


async def purge(session: AsyncSession, now: datetime, settings: Optional[DeskSettings] = None) -> Purged:
    """Delete what ended before ``now`` less the retention, and what expired by ``now``, in the
    caller's transaction."""
    cutoff = now - timedelta(days=(settings or DeskSettings()).handoff_retention_days)
    old = select(Handoff.id).where(Handoff.released_at < cutoff)
    # Transcripts first, by name: the count is reported, and no engine's cascade is relied on.
    transcripts = await session.execute(delete(TranscriptEntry).where(TranscriptEntry.handoff_id.in_(old)))
    handoffs = await session.execute(delete(Handoff).where(Handoff.released_at < cutoff))
    callbacks = await session.execute(
        delete(Callback).where(Callback.status == CallbackStatus.done, Callback.handled_at < cutoff)
    )
    subscriptions = await session.execute(delete(CaseSubscription).where(CaseSubscription.expires_at <= now))
    watched = await session.execute(delete(WatchedCase).where(WatchedCase.expires_at <= now))
    return Purged(
        handoffs=_count(handoffs),
        transcript_entries=_count(transcripts),
        callbacks=_count(callbacks),
        subscriptions=_count(subscriptions),
        watched_cases=_count(watched),
    )


async def purge_once(
    redis: aioredis.Redis,
    sessions: async_sessionmaker[AsyncSession],
    now: datetime,
    settings: Optional[DeskSettings] = None,
) -> Optional[Purged]:
    """The day's purge, unless a process (this one or another) ran it in the last day: None then."""
    if not await redis.set(RAN, now.isoformat(), nx=True, ex=DAY_SECONDS - 60):
        return None
    try:
        async with sessions() as session, session.begin():
            purged = await purge(session, now, settings)
    except BaseException:
        await redis.delete(RAN)  # not done: the next look runs it
        raise
    logger.info(
        "retention purge handoffs=%d transcript_entries=%d callbacks=%d subscriptions=%d watched_cases=%d",
        purged.handoffs,
        purged.transcript_entries,
        purged.callbacks,
        purged.subscriptions,
        purged.watched_cases,
    )
    return purged


async def keep_purging(
    redis: aioredis.Redis,
    sessions: async_sessionmaker[AsyncSession],
    clock: Callable[[], datetime],
    settings: Optional[DeskSettings] = None,
    check_seconds: float = CHECK_SECONDS,
) -> None:
    """``purge_once`` every ``check_seconds`` (so daily, in one process) until cancelled; the
    caller runs the first at start-up."""
    while True:
        await asyncio.sleep(check_seconds)
        try:
            await purge_once(redis, sessions, clock(), settings)
        except Exception as error:  # Redis or the database is away: the next look tries again
            logger.error("retention purge failed error=%s", type(error).__name__)


def _count(result: Any) -> int:
    return int(result.rowcount)
