"""Conversation lanes with a real Redis: arrival order across processes, dead holders skipped."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from connectors.lanes import Lanes


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


async def test_a_cancelled_waiter_leaves_the_lane(redis):
    lanes = Lanes(redis)
    holding, go_on = asyncio.Event(), asyncio.Event()

    async def holder() -> None:
        async with lanes.turn("web:cancel"):
            holding.set()
            await go_on.wait()

    async def waiter() -> None:
        async with lanes.turn("web:cancel"):
            raise AssertionError("a cancelled waiter never holds the lane")

    first = asyncio.create_task(holder())
    await holding.wait()
    second = asyncio.create_task(waiter())
    while await redis.llen("hamyar:lane:web:cancel") < 2:
        await asyncio.sleep(0.005)
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
