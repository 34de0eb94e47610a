"""The handoff queue on a real Redis: order, idempotence, races, capacity, estimate, alerts, limits."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from agencies.sealing import Sealer
from desk.desk_config import DeskConfig
from desk.queue import HandoffQueue, Position, QueueItem, Take

START = datetime(2026, 4, 25, 6, 0, tzinfo=timezone.utc)
CONFIG = DeskConfig.model_validate(
    {
        "office_hours": {"saturday": {"open": "08:00", "close": "16:00"}},
        "queue": {
            "max_waiting": 5,
            "alert_after_minutes": 10,
            "default_handling_minutes": 5,
            "handling_history": 3,
            "messages_kept": 3,
            "serving_seconds": 300,
        },
        "agencies": {"tamin": {"max_waiting": 2}, "police": {"alert_after_minutes": 2}},
    }
)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def queue(redis, clock: Clock, sealer: Sealer) -> HandoffQueue:
    return HandoffQueue(redis, CONFIG, clock=clock, sealer=sealer)


def item(conversation_id: str, clock: Clock, agency: str = "sabt", priority: int = 0, **fields) -> QueueItem:
    return QueueItem(
        conversation_id=conversation_id,
        channel=conversation_id.split(":")[0],
        agency=agency,
        reason=fields.pop("reason", "request"),
        arrived_at=clock(),
        priority=priority,
        **fields,
    )


async def test_order_is_priority_then_arrival(queue: HandoffQueue, clock: Clock) -> None:
    await queue.enqueue(item("telegram:1", clock))
    clock.advance(seconds=1)
    await queue.enqueue(item("bale:2", clock))
    clock.advance(seconds=1)
    await queue.enqueue(item("web:3", clock, priority=2, reason="complaint", priority_reasons=("شکایت",)))
    clock.advance(seconds=1)
    await queue.enqueue(item("web:4", clock, priority=1))
    clock.advance(seconds=30)

    waiting = await queue.waiting("sabt")
    assert [w.item.conversation_id for w in waiting] == ["web:3", "web:4", "telegram:1", "bale:2"]
    assert [w.place for w in waiting] == [1, 2, 3, 4]
    assert [w.waiting_seconds for w in waiting] == [31, 30, 33, 32]
    assert waiting[0].item.priority_reasons == ("شکایت",) and waiting[0].item.reason == "complaint"
    assert waiting[2].item.channel == "telegram"
    assert (await queue.position("telegram:1")) == Position(3, 3 * 300)


async def test_enqueue_is_idempotent_for_a_waiting_conversation(queue: HandoffQueue, clock: Clock, redis) -> None:
    first = await queue.enqueue(item("web:1", clock, preview="اولی"))
    await queue.enqueue(item("web:2", clock))
    clock.advance(minutes=1)
    again = await queue.enqueue(item("web:1", clock, priority=5, preview="دومی"))
    assert first == again == Position(1, 300)
    assert await redis.zcard("hamyar:desk:queue:sabt") == 2
    assert (await queue.waiting())[0].item.preview == "اولی"


async def test_the_preview_is_masked_and_short(queue: HandoffQueue, clock: Clock) -> None:
    await queue.enqueue(item("web:1", clock, preview="کد ملی من ۰۰۱۲۳۴۵۶۷۸ است " + "خیلی " * 60))
    preview = (await queue.waiting())[0].item.preview
    assert "۰۰۱۲۳۴۵۶" not in preview and "********۷۸" in preview
    assert len(preview) <= 120 and preview.endswith("…")


async def test_cancel(queue: HandoffQueue, clock: Clock, redis) -> None:
    for n in range(3):
        await queue.enqueue(item(f"web:{n}", clock))
        clock.advance(seconds=1)
    assert await queue.append_message("web:1", "سلام")
    assert await queue.cancel("web:1")
    assert await queue.position("web:1") is None
    assert (await queue.position("web:2")).place == 2
    assert await queue.messages("web:1") == []
    assert not await queue.cancel("web:1")
    assert not await queue.cancel("web:unknown")
    assert not await redis.exists("hamyar:desk:item:web:1")


async def test_two_agents_racing_for_one_conversation_exactly_one_wins(queue: HandoffQueue, clock: Clock) -> None:
    await queue.enqueue(item("web:1", clock))
    results = await asyncio.gather(*(queue.take("web:1", agent, capacity=3) for agent in ("ali", "sara")))
    assert sorted(result.value for result in results) == ["already_taken", "taken"]
    winner = "ali" if results[0] is Take.TAKEN else "sara"
    loser = "sara" if winner == "ali" else "ali"
    assert [a.item.conversation_id for a in await queue.active(winner)] == ["web:1"]
    assert await queue.active(loser) == []
    assert await queue.waiting() == []
    assert await queue.position("web:1") == Position(0, 0)
    # An agent has it: the citizen cannot leave by «لغو», and joining again keeps it with the agent.
    assert not await queue.cancel("web:1")
    assert await queue.enqueue(item("web:1", clock)) == Position(0, 0)
    assert await queue.take("web:unknown", "ali", capacity=3) is Take.NOT_WAITING


async def test_many_racers_still_one_winner(queue: HandoffQueue, clock: Clock) -> None:
    await queue.enqueue(item("web:1", clock))
    results = await asyncio.gather(*(queue.take("web:1", f"agent{n}", capacity=1) for n in range(8)))
    assert results.count(Take.TAKEN) == 1 and results.count(Take.ALREADY_TAKEN) == 7


async def test_an_agent_at_capacity_is_refused(queue: HandoffQueue, clock: Clock) -> None:
    await queue.enqueue(item("web:1", clock))
    await queue.enqueue(item("web:2", clock))
    assert await queue.take("web:1", "ali", capacity=1) is Take.TAKEN
    await queue.serve("sara", ["sabt"])
    assert await queue.agents_serving("sabt") == 2  # taking counts as serving
    assert await queue.take("web:2", "ali", capacity=1) is Take.AT_CAPACITY
    assert [w.item.conversation_id for w in await queue.waiting()] == ["web:2"]
    assert await queue.release("web:1") is not None
    assert await queue.take("web:2", "ali", capacity=1) is Take.TAKEN


async def test_release_records_handling_time_for_the_estimate(queue: HandoffQueue, clock: Clock) -> None:
    assert await queue.estimate("sabt", 1) == 300  # no history: the configured default
    for n, minutes in enumerate([2, 4, 9, 6]):
        await queue.enqueue(item(f"web:{n}", clock))
        clock.advance(seconds=30)
        assert await queue.take(f"web:{n}", "ali", capacity=1) is Take.TAKEN
        clock.advance(minutes=minutes)
        handled = await queue.release(f"web:{n}")
        assert handled is not None
        assert (handled.agent_id, handled.waited_seconds, handled.handling_seconds) == ("ali", 30, minutes * 60)
        assert handled.item.conversation_id == f"web:{n}"
    assert await queue.release("web:0") is None  # released once
    # The last three (history 3): 4, 9, 6 minutes; median 6.
    assert await queue.estimate("sabt", 2) == 2 * 360
    assert await queue.estimate("tamin", 2) == 2 * 300  # another agency's history is its own
    # A second agent serving the agency halves the wait; one who left the desk long ago does not count.
    await queue.serve("ali", ["sabt", "tamin"])
    assert await queue.agents_serving("sabt") == 1
    await queue.serve("sara", ["sabt"])
    await queue.serve("reza", ["sabt"], now=clock() - timedelta(minutes=30))
    assert await queue.agents_serving("sabt") == 2
    assert await queue.estimate("sabt", 2) == 360
    await queue.enqueue(item("web:9", clock))
    assert await queue.position("web:9") == Position(1, 180)


async def test_release_hands_back_the_messages_kept(queue: HandoffQueue, clock: Clock) -> None:
    await queue.enqueue(item("web:1", clock))
    await queue.append_message("web:1", "هنوز منتظرم")
    await queue.take("web:1", "ali", capacity=1)
    await queue.append_message("web:1", "ممنون")
    handled = await queue.release("web:1")
    assert handled is not None and [m.text for m in handled.messages] == ["هنوز منتظرم", "ممنون"]
    assert await queue.active("ali") == [] and await queue.messages("web:1") == []


async def test_overdue_is_reported_once(queue: HandoffQueue, clock: Clock) -> None:
    await queue.enqueue(item("web:1", clock))
    await queue.enqueue(item("web:2", clock, agency="police"))  # police alerts after 2 minutes
    clock.advance(minutes=3)
    assert [w.item.conversation_id for w in await queue.overdue()] == ["web:2"]
    clock.advance(minutes=6)
    assert await queue.overdue() == []
    clock.advance(minutes=1)
    overdue = await queue.overdue()
    assert [(w.item.conversation_id, w.waiting_seconds) for w in overdue] == [("web:1", 600)]
    assert await queue.overdue(now=clock() + timedelta(hours=1)) == []
    # Taken by an agent: no longer waiting, so never reported.
    await queue.enqueue(item("web:3", clock))
    await queue.take("web:3", "ali", capacity=2)
    clock.advance(minutes=20)
    assert await queue.overdue() == []


async def test_over_limit_offers_a_call_back(queue: HandoffQueue, clock: Clock) -> None:
    assert not await queue.over_limit("tamin")
    await queue.enqueue(item("web:1", clock, agency="tamin"))
    assert not await queue.over_limit("tamin")
    await queue.enqueue(item("web:2", clock, agency="tamin"))
    assert await queue.over_limit("tamin")  # tamin takes 2
    assert not await queue.over_limit("sabt")  # 5 by default
    await queue.cancel("web:1")
    assert not await queue.over_limit("tamin")


async def test_agencies_have_their_own_queues(queue: HandoffQueue, clock: Clock) -> None:
    await queue.enqueue(item("web:t1", clock, agency="tamin"))
    clock.advance(seconds=1)
    await queue.enqueue(item("web:s1", clock, agency="sabt"))
    clock.advance(seconds=1)
    await queue.enqueue(item("web:t2", clock, agency="tamin", priority=1))
    assert (await queue.position("web:s1")).place == 1
    assert (await queue.position("web:t1")).place == 2
    assert [w.item.conversation_id for w in await queue.waiting("sabt")] == ["web:s1"]
    everyone = await queue.waiting()
    assert [(w.item.conversation_id, w.place) for w in everyone] == [("web:t2", 1), ("web:t1", 2), ("web:s1", 1)]


async def test_messages_while_waiting_are_capped_masked_and_sealed(queue: HandoffQueue, clock: Clock, sealer: Sealer) -> None:
    await queue.enqueue(item("web:1", clock, preview="سلام"))
    for n in range(1, 5):
        clock.advance(seconds=10)
        assert await queue.append_message("web:1", f"پیام {n}")
    clock.advance(seconds=10)
    assert await queue.append_message("web:1", "کد ملی من 0012345678 است")
    kept = await queue.messages("web:1")
    assert [m.text for m in kept] == ["پیام 3", "پیام 4", "کد ملی من ********78 است"]
    assert kept[-1].at == clock() and kept[0].sealed is None
    assert kept[-1].sealed is not None and sealer.open(kept[-1].sealed) == "کد ملی من 0012345678 است"
    assert (await queue.waiting())[0].item.preview == "کد ملی من ********78 است"
    assert not await queue.append_message("web:unknown", "سلام")
    assert await queue.messages("web:unknown") == []
