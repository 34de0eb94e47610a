from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from desk.models import Author, Callback, CallbackStatus, Handoff, TranscriptEntry
from desk.retention import Purged, purge

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


def handoff(name: str, sealer, released_days_ago: float | None, entries: int = 2) -> Handoff:
    released = None if released_days_ago is None else NOW - timedelta(days=released_days_ago)
    item = Handoff(
        conversation_id=f"web:{name}",
        channel="web",
        reason="request_human",
        queued_at=NOW - timedelta(days=200),
        released_at=released,
    )
    for number in range(entries):
        item.transcript.append(TranscriptEntry.sealed(sealer, f"پیام {number}", Author.citizen))
    return item


def callback(name: str, sealer, status: CallbackStatus, handled_days_ago: float | None) -> Callback:
    item = Callback(
        conversation_id=f"sms:{name}",
        channel="sms",
        reason="after_hours",
        status=status,
        created_at=NOW - timedelta(days=200),
        handled_at=None if handled_days_ago is None else NOW - timedelta(days=handled_days_ago),
    )
    item.seal_phone(sealer, "09121234567")
    return item


async def test_purge_deletes_what_ended_before_the_retention(session, sealer, desk_settings) -> None:
    session.add_all(
        [
            handoff("old", sealer, 91),
            handoff("older", sealer, 400, entries=3),
            handoff("recent", sealer, 89),
            handoff("open", sealer, None),  # still at the desk, however long ago it was queued
            callback("old", sealer, CallbackStatus.done, 91),
            callback("recent", sealer, CallbackStatus.done, 10),
            callback("waiting", sealer, CallbackStatus.requested, None),
            callback("retry", sealer, CallbackStatus.not_reached, 120),
        ]
    )
    await session.commit()

    assert await purge(session, NOW, desk_settings) == Purged(handoffs=2, transcript_entries=5, callbacks=1)
    await session.commit()

    left = (await session.execute(select(Handoff.conversation_id).order_by(Handoff.conversation_id))).scalars().all()
    assert left == ["web:open", "web:recent"]
    assert (await session.execute(select(func.count()).select_from(TranscriptEntry))).scalar_one() == 4
    calls = (await session.execute(select(Callback.conversation_id).order_by(Callback.conversation_id))).scalars().all()
    assert calls == ["sms:recent", "sms:retry", "sms:waiting"]
    assert await purge(session, NOW, desk_settings) == Purged(0, 0, 0)
