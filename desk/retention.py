"""Retention: handoffs (with their transcripts) and finished call-backs are deleted
HANDOFF_RETENTION_DAYS after they ended. Run it daily; the README's retention table states it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Optional

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.models import Callback, CallbackStatus, Handoff, TranscriptEntry
from desk.settings import DeskSettings


@dataclass(frozen=True)
class Purged:
    handoffs: int
    transcript_entries: int
    callbacks: int


async def purge(session: AsyncSession, now: datetime, settings: Optional[DeskSettings] = None) -> Purged:
    """Delete what ended before ``now`` less the retention, in the caller's transaction."""
    cutoff = now - timedelta(days=(settings or DeskSettings()).handoff_retention_days)
    old = select(Handoff.id).where(Handoff.released_at < cutoff)
    # Transcripts first, by name: the count is reported, and no engine's cascade is relied on.
    transcripts = await session.execute(delete(TranscriptEntry).where(TranscriptEntry.handoff_id.in_(old)))
    handoffs = await session.execute(delete(Handoff).where(Handoff.released_at < cutoff))
    callbacks = await session.execute(
        delete(Callback).where(Callback.status == CallbackStatus.done, Callback.handled_at < cutoff)
    )
    return Purged(handoffs=_count(handoffs), transcript_entries=_count(transcripts), callbacks=_count(callbacks))


def _count(result: Any) -> int:
    return int(result.rowcount)
