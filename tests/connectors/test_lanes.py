"""Conversation lanes with a real Redis: arrival order across processes, dead holders skipped."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from connectors.lanes import Lanes, Mark


async def test_turns_take_the_lane_in_arrival_order_across_processes(redis, redis_server):
    other_redis = aioredis.from_url(redis_server, decode_responses=True)
    processes = [Lanes(redis), Lanes(other_redis)]
    order: list[int] = []
    holding = asyncio.Event()
    go_on = asyncio.Event()

    async def turn(number: int) -> None:
        async with processes[number % 2].turn("web:lane"):
            order.append(number)
            if number == 0:
                holding.set()
                await go_on.wait()

    try:
        tasks = [asyncio.create_task(turn(0))]
        await holding.wait()
        for number in range(1, 6):
            tasks.append(asyncio.create_task(turn(number)))
            while await redis.llen("hamyar:lane:web:lane") < number + 1:  # it has joined the lane
                await asyncio.sleep(0.005)
        go_on.set()
        await asyncio.gather(*tasks)
    finally:
        await other_redis.aclose()
    assert order == [0, 1, 2, 3, 4, 5]
    assert await redis.llen("hamyar:lane:web:lane") == 0


async def test_an_entry_whose_process_died_is_skipped(redis):
    lanes = Lanes(redis)
    # A process that died while waiting (no lease), and one that died holding (its lease runs out).
    await redis.rpush("hamyar:lane:web:dead", "died-holding", "died-waiting")
    await redis.set("hamyar:lane:web:dead:lease:died-holding", "1", px=300)
    async with lanes.turn("web:dead"):
        assert await redis.lindex("hamyar:lane:web:dead", 0) not in ("died-holding", "died-waiting")


async def held(lanes: Lanes, conversation: str) -> tuple[asyncio.Task, asyncio.Event]:
    """A turn holding the conversation's lane until the event returned is set."""
    taken, go_on = asyncio.Event(), asyncio.Event()

    async def holder() -> None:
        async with lanes.turn(conversation):
            taken.set()
            await go_on.wait()

    task = asyncio.create_task(holder())
    await taken.wait()
    return task, go_on


async def until_joined(redis, conversation: str, turns: int) -> None:
    while await redis.llen(f"hamyar:lane:{conversation}") < turns:
        await asyncio.sleep(0.005)


async def test_a_cancelled_waiter_leaves_the_lane(redis):
    lanes = Lanes(redis)
    first, go_on = await held(lanes, "web:cancel")

    async def waiter() -> None:
        async with lanes.turn("web:cancel"):
            raise AssertionError("a cancelled waiter never holds the lane")

    second = asyncio.create_task(waiter())
    await until_joined(redis, "web:cancel", 2)
    second.cancel()
    await asyncio.gather(second, return_exceptions=True)
    assert await redis.llen("hamyar:lane:web:cancel") == 1
    go_on.set()
    await first
    async with lanes.turn("web:cancel"):  # free at once
        pass


async def test_a_turn_leaves_no_wake_up_behind(redis, redis_sent):
    # A wake can land just as a waiting turn takes the lane by looking again; leaving drops it.
    lanes = Lanes(redis)
    async with lanes.turn("web:woken"):
        head = await redis.lindex("hamyar:lane:web:woken", 0)
        await redis.rpush(f"hamyar:lane:web:woken:wake:{head}", "1")
        before = len(redis_sent)
    assert redis_sent[before:] == ["EVALSHA"], redis_sent  # leaving is one round trip
    assert await redis.exists(f"hamyar:lane:web:woken:wake:{head}") == 0
    assert await redis.exists("hamyar:lane:web:woken") == 0


async def test_a_mark_is_set_as_the_lane_is_taken_in_the_same_round_trip(redis, redis_sent):
    lanes = Lanes(redis)
    mark = Mark("hamyar:test:mark", "processing", 60)
    async with lanes.turn("web:mark") as warm:  # Redis learns the script
        assert not warm.marked and warm.found is None
    redis_sent.clear()
    async with lanes.turn("web:mark", mark) as lane:
        assert redis_sent == ["EVALSHA"] and lane.marked and lane.found is None
    assert await redis.get("hamyar:test:mark") == "processing" and 55 <= await redis.ttl("hamyar:test:mark") <= 60
    await redis.set("hamyar:test:mark", "done:[]")
    async with lanes.turn("web:mark", mark) as lane:
        assert not lane.marked and lane.found == "done:[]"
    assert await redis.get("hamyar:test:mark") == "done:[]"


async def test_a_waiting_turn_sets_its_mark_when_it_takes_the_lane(redis):
    lanes = Lanes(redis)
    first, go_on = await held(lanes, "web:wait")

    async def waiter() -> bool:
        async with lanes.turn("web:wait", Mark("hamyar:test:waited", "processing", 60)) as lane:
            return lane.marked

    second = asyncio.create_task(waiter())
    await until_joined(redis, "web:wait", 2)
    assert not await redis.exists("hamyar:test:waited")  # not while it waits
    go_on.set()
    await first
    assert await second and await redis.get("hamyar:test:waited") == "processing"


async def test_a_turn_leaves_with_its_transaction_and_the_next_is_woken(redis, redis_server, redis_sent):
    lanes = Lanes(redis)
    other_redis = aioredis.from_url(redis_server, decode_responses=True)  # the next turn's process
    holding, go_on = asyncio.Event(), asyncio.Event()
    order: list[str] = []

    async def holder() -> None:
        async with lanes.turn("web:leave") as lane:
            holding.set()
            await go_on.wait()
            order.append("first")
            async with redis.pipeline(transaction=True) as writes:
                writes.set("hamyar:test:written", "1")
                redis_sent.clear()
                answer = await lane.leave_with(writes)
            assert answer[0] is True and lane.left
        assert redis_sent == [["SET", "EVAL"]], redis_sent  # nothing more on the way out

    async def waiter() -> None:
        async with Lanes(other_redis).turn("web:leave"):
            # The lane passes once the transaction has run: the next turn finds its writes.
            order.append(f"second after {await other_redis.get('hamyar:test:written')}")

    first = asyncio.create_task(holder())
    await holding.wait()
    second = asyncio.create_task(waiter())
    await until_joined(redis, "web:leave", 2)
    go_on.set()
    try:
        await asyncio.gather(first, second)
    finally:
        await other_redis.aclose()
    assert order == ["first", "second after 1"]
    assert await redis.llen("hamyar:lane:web:leave") == 0 and not await redis.keys("hamyar:lane:web:leave:*")


async def test_a_transaction_that_fails_still_leaves_the_lane(redis):
    lanes = Lanes(redis)
    await redis.set("hamyar:test:text", "not a number")
    with pytest.raises(ResponseError):
        async with lanes.turn("web:failed") as lane:
            async with redis.pipeline(transaction=True) as writes:
                writes.incr("hamyar:test:text")
                await lane.leave_with(writes)
    # Its failed command raised, so the lane was left again on the way out (leaving twice is
    # harmless): free for the next turn.
    assert not lane.left
    assert await redis.llen("hamyar:lane:web:failed") == 0 and not await redis.keys("hamyar:lane:web:failed:*")
