"""agencies/redis_connection.py: redis-py's connection writing without a task per command."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis
from redis.exceptions import TimeoutError as RedisTimeoutError

from agencies.redis_connection import Connection


def counting_tasks(loop: asyncio.AbstractEventLoop) -> list:
    """Tasks made on ``loop`` from now on, appended as they are made."""
    made: list = []

    def factory(loop, coro, **kwargs):  # type: ignore[no-untyped-def]
        made.append(coro)
        return asyncio.Task(coro, loop=loop, **kwargs)

    loop.set_task_factory(factory)
    return made


async def commands(client: aioredis.Redis) -> list:
    await client.set("hamyar:test:big", "ب" * 1_000_000)
    async with client.pipeline(transaction=True) as pipe:
        pipe.incr("hamyar:test:count")
        pipe.strlen("hamyar:test:big")
        answers = await pipe.execute()
    for _ in range(48):
        await client.get("hamyar:test:count")
    return [answers, len(await client.get("hamyar:test:big"))]


async def test_commands_and_transactions_are_answered(redis_server, redis):
    client = aioredis.from_url(redis_server, decode_responses=True, connection_class=Connection)
    try:
        assert await commands(client) == [[1, 2_000_000], 1_000_000]
    finally:
        await client.aclose()


@pytest.mark.parametrize("connection_class, writing_tasks", [(Connection, 0), (aioredis.Connection, 51)])
async def test_a_command_makes_no_task_of_its_own(redis_server, redis, connection_class, writing_tasks):
    # redis-py's own connection (the second case) makes one for every write (51 round trips).
    client = aioredis.from_url(redis_server, decode_responses=True, connection_class=connection_class)
    try:
        await client.ping()
        made = counting_tasks(asyncio.get_running_loop())
        await commands(client)
        asyncio.get_running_loop().set_task_factory(None)
        assert [c.__qualname__ for c in made].count("AbstractConnection._send_packed_command") == writing_tasks
    finally:
        asyncio.get_running_loop().set_task_factory(None)
        await client.aclose()


async def test_a_write_redis_does_not_read_times_out_and_drops_the_connection():
    # A server that accepts and never reads: the socket's buffers fill and the write must wait.
    accepted: list = []

    async def never_read(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)

    server = await asyncio.start_server(never_read, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    connection = Connection(host="127.0.0.1", port=port, socket_timeout=0.5, driver_info=None, protocol=2)
    try:
        await connection.connect()
        with pytest.raises(RedisTimeoutError):
            # Bounded here too, so a write left waiting fails the test instead of hanging it.
            await asyncio.wait_for(connection.send_command("SET", "key", b"x" * 64_000_000), 10)
        assert not connection.is_connected
    finally:
        await connection.disconnect()
        for writer in accepted:
            writer.close()
        server.close()
        await server.wait_closed()
