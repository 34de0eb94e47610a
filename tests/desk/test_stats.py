"""The supervisor's figures, on both engines: today's handled conversations from the history,
who waits and who is with an agent from the queue."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from desk.desk_config import DeskConfig
from desk.models import Handoff, Outcome
from desk.queue import HandoffQueue, QueueItem
from desk.stats import desk_stats, start_of_day

TEHRAN = ZoneInfo("Asia/Tehran")
# 11:00 in Tehran; Tehran's day began at 20:30 UTC the day before.
NOW = datetime(2026, 4, 25, 7, 30, tzinfo=timezone.utc)
CONFIG = DeskConfig.model_validate({"office_hours": {"saturday": {"open": "08:00", "close": "16:00"}}})


def handoff(conversation_id: str, queued: datetime, wait: float, handling: float, **fields) -> Handoff:
    taken = queued + timedelta(seconds=wait)
    return Handoff(
        conversation_id=conversation_id,
        channel="web",
        agency="sabt",
        reason="request",
        queued_at=queued,
        taken_at=taken,
        released_at=taken + timedelta(seconds=handling),
        outcome=Outcome.returned_to_bot,
        **fields,
    )


def test_the_day_begins_at_midnight_in_tehran():
    assert start_of_day(NOW, TEHRAN) == datetime(2026, 4, 24, 20, 30, tzinfo=timezone.utc)


async def test_figures(session, redis, sealer):
    queue = HandoffQueue(redis, CONFIG, clock=lambda: NOW, sealer=sealer)
    session.add_all(
        [
            handoff("web:1", NOW - timedelta(hours=2), wait=60, handling=300),
            handoff("web:2", NOW - timedelta(hours=1), wait=180, handling=500),
            # Released before Tehran's midnight: yesterday's.
            handoff("web:3", datetime(2026, 4, 24, 20, 0, tzinfo=timezone.utc), wait=10, handling=10),
            # Cancelled while waiting: no agent had it.
            Handoff(conversation_id="web:4", channel="web", agency="sabt", reason="request", queued_at=NOW, released_at=NOW),
            # Still with an agent.
            Handoff(conversation_id="web:5", channel="web", agency="sabt", reason="request", queued_at=NOW, taken_at=NOW),
        ]
    )
    await session.commit()
    for n, arrived in enumerate((NOW - timedelta(minutes=4), NOW - timedelta(minutes=1), NOW)):
        await queue.enqueue(QueueItem(f"bale:{n}", "bale", "sabt", "request", arrived))
    await queue.take("bale:2", "7", capacity=3)
    stats = await desk_stats(session, queue, TEHRAN, NOW)
    assert (stats.waiting, stats.longest_wait_seconds, stats.active, stats.handled_today) == (2, 240, 1, 2)
    assert (stats.average_wait_seconds, stats.average_handling_seconds) == (120, 400)
