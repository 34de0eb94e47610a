"""Passing a conversation on, on a real Redis: back into another agency's queue at the place its
first arrival gives it, or to another agent within their capacity; only by the agent who has it."""

from __future__ import annotations

from desk.queue import Take, Transfer
from tests.desk.test_queue import clock as clock  # noqa: F401  (its fixtures)
from tests.desk.test_queue import item
from tests.desk.test_queue import queue as queue  # noqa: F401


async def test_back_into_another_agencys_queue_keeps_the_first_arrival(queue, clock):
    await queue.enqueue(item("web:1", clock, "sabt"))
    clock.advance(minutes=5)
    await queue.enqueue(item("web:2", clock, "tamin"))
    assert await queue.take("web:1", "7", capacity=2) is Take.TAKEN
    assert not await queue.to_agency("web:1", "8", "tamin")  # not agent 8's
    assert await queue.to_agency("web:1", "7", "tamin")
    assert [w.item.conversation_id for w in await queue.waiting("tamin")] == ["web:1", "web:2"]
    status = await queue.status("web:1")
    assert (status.state, status.agent_id, status.item.agency) == ("waiting", None, "tamin")
    assert await queue.active("7") == []
    assert await queue.take("web:1", "9", capacity=1) is Take.TAKEN


async def test_to_another_agent_within_their_capacity(queue, clock):
    for name in ("web:1", "web:2"):
        await queue.enqueue(item(name, clock, "sabt"))
    assert await queue.take("web:1", "7", capacity=2) is Take.TAKEN
    assert await queue.take("web:2", "8", capacity=1) is Take.TAKEN
    assert await queue.to_agent("web:1", "7", "8", capacity=1) is Transfer.AT_CAPACITY
    assert await queue.to_agent("web:1", "9", "8", capacity=2) is Transfer.NOT_YOURS
    assert await queue.to_agent("web:1", "7", "8", capacity=2) is Transfer.DONE
    assert sorted(a.item.conversation_id for a in await queue.active("8")) == ["web:1", "web:2"]
    assert (await queue.status("web:1")).agent_id == "8" and await queue.active("7") == []
    assert await queue.status("web:3") is None


async def test_past_limit_lists_every_late_citizen_and_overdue_each_once(queue, clock):
    await queue.enqueue(item("web:1", clock, "sabt"))
    clock.advance(minutes=10)
    assert [w.item.conversation_id for w in await queue.overdue()] == ["web:1"]
    assert await queue.overdue() == []
    assert [w.item.conversation_id for w in await queue.past_limit()] == ["web:1"]
