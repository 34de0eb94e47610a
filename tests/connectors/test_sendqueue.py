"""Chat send queues with a real Redis and a recording transport: order, pace, typing, failures,
two gateway processes, and a sender that died."""

from __future__ import annotations

import asyncio
import time

import pytest

from connectors.models import OutboundMessage
from connectors.sendqueue import ChatQueues, Keys, SendFailure

PACE = 0.3


class Chat:
    """Records what reached each chat, and when; fails the sends it is told to."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str, float]] = []  # (kind, text, monotonic time)
        self.failures: dict[str, list[SendFailure]] = {}
        self.seconds: list[int] = []  # the wall-clock second each message went in
        self.arrived = asyncio.Event()

    async def send_one(self, chat_id: str, message: OutboundMessage) -> None:
        pending = self.failures.get(message.text)
        if pending:
            raise pending.pop(0)
        self.log.append(("message", message.text, time.monotonic()))
        self.seconds.append(int(time.time()))
        self.arrived.set()

    async def show_typing(self, chat_id: str) -> None:
        self.log.append(("typing", "", time.monotonic()))

    def texts(self) -> list[str]:
        return [text for kind, text, _ in self.log if kind == "message"]

    async def wait_for(self, count: int, timeout: float = 10) -> list[str]:
        deadline = time.monotonic() + timeout
        while len(self.texts()) < count:
            self.arrived.clear()
            assert time.monotonic() < deadline, f"only {self.texts()} arrived"
            try:
                await asyncio.wait_for(self.arrived.wait(), deadline - time.monotonic())
            except asyncio.TimeoutError:
                pass
        return self.texts()


def messages(*texts: str) -> list[OutboundMessage]:
    return [OutboundMessage(text=t) for t in texts]


@pytest.fixture
async def chat(redis):
    chat = Chat()
    queues = ChatQueues(redis, pace_seconds=PACE, max_backoff_seconds=0.1, sweep_seconds=0.2)
    await queues.start({"telegram": chat})
    yield chat, queues
    await queues.stop()


async def queue(queues: ChatQueues, redis, conversation: str, *texts: str) -> None:
    async with redis.pipeline(transaction=True) as pipe:
        queues.add(pipe, conversation, messages(*texts))
        await pipe.execute()
    queues.kick(conversation)


async def test_turns_go_out_in_order_at_the_chat_pace_with_typing_between(chat, redis):
    transport, queues = chat
    await queue(queues, redis, "telegram:1", "۱ الف", "۱ ب")
    await queue(queues, redis, "telegram:1", "۲ الف", "۲ ب")
    assert await transport.wait_for(4) == ["۱ الف", "۱ ب", "۲ الف", "۲ ب"]
    kinds = [kind for kind, _, _ in transport.log]
    assert kinds[0] == "message"  # the first reply goes out at once, with no "typing…" before it
    assert kinds == ["message", "typing", "message", "typing", "message", "typing", "message"]
    times = [at for kind, _, at in transport.log if kind == "message"]
    assert all(later - earlier >= PACE * 0.9 for earlier, later in zip(times, times[1:]))


async def test_a_message_that_fails_for_now_holds_back_the_ones_behind_it(chat, redis):
    transport, queues = chat
    transport.failures["یک"] = [SendFailure("rate_limited", retry_after=0.05), SendFailure("NetworkError", retry_after=0.05)]
    await queue(queues, redis, "telegram:2", "یک", "دو")
    await queue(queues, redis, "telegram:2", "سه")
    assert await transport.wait_for(3) == ["یک", "دو", "سه"]


async def test_a_message_that_can_never_go_is_dropped_and_reported(chat, redis):
    transport, queues = chat
    transport.failures["مسدود"] = [SendFailure("Forbidden")]
    assert not await queues.send("telegram:3", messages("مسدود"))
    assert await queues.send("telegram:3", messages("بعدی"))
    assert transport.texts() == ["بعدی"]
    assert await redis.llen(Keys.of("telegram:3").queue) == 0


async def test_two_gateway_processes_send_each_message_once_in_order(redis, redis_server):
    import redis.asyncio as aioredis

    transport = Chat()
    other_redis = aioredis.from_url(redis_server, decode_responses=True)
    one, two = ChatQueues(redis, pace_seconds=0.05), ChatQueues(other_redis, pace_seconds=0.05)
    await one.start({"telegram": transport})
    await two.start({"telegram": transport})
    try:
        expected = []
        for turn in range(10):
            texts = [f"{turn}-{part}" for part in range(3)]
            expected += texts
            await queue(one if turn % 2 else two, redis, "telegram:4", *texts)
        assert await transport.wait_for(30) == expected
    finally:
        await one.stop()
        await two.stop()
        await other_redis.aclose()


async def test_a_chat_whose_sender_died_is_picked_up_by_the_sweep(chat, redis):
    transport, queues = chat
    keys = Keys.of("telegram:5")
    await redis.set(keys.lease, "a-process-that-died", px=400)  # its lease runs out; nobody releases it
    await queue(queues, redis, "telegram:5", "هنوز اینجاست")
    assert await transport.wait_for(1) == ["هنوز اینجاست"]


async def test_a_stopping_process_hands_its_chats_back(redis):
    transport = Chat()
    queues = ChatQueues(redis, pace_seconds=1)  # the second message waits for the pace
    await queues.start({"telegram": transport})
    await queue(queues, redis, "telegram:6", "اول", "دوم")
    await transport.wait_for(1)
    stopping = time.monotonic()
    await queues.stop()
    assert time.monotonic() - stopping < 1  # not waiting out the pace
    keys = Keys.of("telegram:6")
    assert not await redis.exists(keys.lease)  # another process may take the chat at once
    assert [m for m in await redis.lrange(keys.queue, 0, -1) if "دوم" in m]  # nothing lost
    successor = ChatQueues(redis, pace_seconds=0.05)
    await successor.start({"telegram": transport})
    successor.kick("telegram:6")
    try:
        assert await transport.wait_for(2) == ["اول", "دوم"]
    finally:
        await successor.stop()


async def test_the_bots_limit_holds_across_gateway_processes(redis, redis_server):
    """Two processes sending to six chats of one bot keep, together, to its messages a second."""
    import collections

    import redis.asyncio as aioredis

    transport = Chat()
    other_redis = aioredis.from_url(redis_server, decode_responses=True)
    one = ChatQueues(redis, pace_seconds=0.01, bot_per_second=6)
    two = ChatQueues(other_redis, pace_seconds=0.01, bot_per_second=6)
    await one.start({"telegram": transport})
    await two.start({"telegram": transport})
    try:
        for chat in range(6):
            await queue(one if chat % 2 else two, redis, f"telegram:10{chat}", "الف", "ب", "پ")
        await transport.wait_for(18)
    finally:
        await one.stop()
        await two.stop()
        await other_redis.aclose()
    per_second = collections.Counter(transport.seconds)
    assert max(per_second.values()) <= 6 and len(per_second) >= 3, per_second
