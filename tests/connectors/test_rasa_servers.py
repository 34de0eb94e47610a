"""Several Rasa servers in RASA_URL: turns spread over them, and a turn whose server is down
goes to the next one, once. The servers are small fakes of Hamyar's Rasa channel on loopback."""

from __future__ import annotations

import asyncio
from typing import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from connectors.rasa_client import RasaClient, RasaError
from tests.conftest import free_port


class FakeRasa:
    """Hamyar's channel as Rasa serves it; ``mode`` says how it answers a turn."""

    def __init__(self, name: str, mode: str = "answer") -> None:
        self.name, self.mode = name, mode
        self.turns: list[str] = []
        self.arrived = asyncio.Event()  # a turn has come in
        self.released = asyncio.Event()
        app = web.Application()
        app.router.add_post("/webhooks/hamyar/webhook", self.turn)
        app.router.add_get("/webhooks/hamyar/", self.health)
        self.server = TestServer(app, host="127.0.0.1")

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    async def turn(self, request: web.Request) -> web.StreamResponse:
        self.turns.append((await request.json())["message_id"])
        self.arrived.set()
        if self.mode == "dies":  # killed mid-turn: the connection drops with no answer
            assert request.transport is not None
            request.transport.abort()
            await self.released.wait()
        if self.mode == "fails":
            return web.json_response({"error": "turn_failed"}, status=500)
        if self.mode == "hangs":
            await self.released.wait()
        if self.mode == "waits":  # for the lock a dead server's turn left on the conversation
            await asyncio.sleep(0.6)
        return web.json_response({"messages": [{"text": self.name}]})

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})


@pytest.fixture
async def fakes() -> AsyncIterator[Callable[..., Awaitable[FakeRasa]]]:
    started: list[FakeRasa] = []

    async def start(name: str, mode: str = "answer") -> FakeRasa:
        fake = FakeRasa(name, mode)
        await fake.server.start_server()
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.released.set()
        await fake.server.close()


def closed() -> str:
    return f"http://127.0.0.1:{free_port()}"


async def answered_by(client: RasaClient, message_id: str) -> str:
    return (await client.turn("web:c1", message_id, "سلام", None, {}))[0]["text"]


async def test_turns_are_spread_over_the_servers_in_turn(fakes):
    a, b = await fakes("a"), await fakes("b")
    client = RasaClient(f"{a.url}, {b.url}/", "token", timeout_seconds=5)
    try:
        assert [await answered_by(client, f"m{i}") for i in range(4)] == ["a", "b", "a", "b"]
    finally:
        await client.close()
    assert client.servers == [a.url, b.url]


async def test_a_turn_goes_to_the_server_with_the_least_work_in_flight(fakes):
    a, b = await fakes("a", "hangs"), await fakes("b")
    client = RasaClient(f"{a.url},{b.url}", "token", timeout_seconds=5)
    try:
        typed = asyncio.create_task(client.turn("web:c1", "m0", "سلام", None, {}))
        await a.arrived.wait()
        # While a works on a typed message, b takes every turn, button presses and typed alike.
        pressed = [(await client.turn("web:c2", f"m{i}", None, "/help", {}))[0]["text"] for i in range(1, 4)]
        assert pressed == ["b", "b", "b"] and await answered_by(client, "m4") == "b"
        assert a.turns == ["m0"]
        a.released.set()
        assert (await typed)[0]["text"] == "a"
        # Nothing in flight: in turn again.
        assert {await answered_by(client, "m5"), await answered_by(client, "m6")} == {"a", "b"}
    finally:
        await client.close()


async def test_a_typed_message_weighs_more_than_a_button_press(fakes):
    a, b = await fakes("a", "hangs"), await fakes("b", "hangs")
    client = RasaClient(f"{a.url},{b.url}", "token", timeout_seconds=5)
    try:
        typed = asyncio.create_task(client.turn("web:c1", "m0", "سلام", None, {}))
        await a.arrived.wait()
        pressed = asyncio.create_task(client.turn("web:c2", "m1", None, "/help", {}))
        await b.arrived.wait()
        b.arrived.clear()
        # a holds a typed message, b a button press: the next typed message goes to b.
        second = asyncio.create_task(client.turn("web:c3", "m2", "وضعیت پرونده", None, {}))
        await b.arrived.wait()
        assert b.turns == ["m1", "m2"] and a.turns == ["m0"]
        a.released.set()
        b.released.set()
        assert [(await task)[0]["text"] for task in (typed, pressed, second)] == ["a", "b", "b"]
    finally:
        await client.close()


async def test_a_turn_whose_server_is_down_goes_to_the_next(fakes):
    live = await fakes("live")
    client = RasaClient(f"{closed()},{live.url}", "token", timeout_seconds=5)
    try:
        assert [await answered_by(client, f"m{i}") for i in range(4)] == ["live"] * 4
        assert await client.server_health() == [False, True]
        assert await client.healthy()
    finally:
        await client.close()
    assert live.turns == ["m0", "m1", "m2", "m3"]


async def test_a_turn_caught_in_a_dying_server_is_retried_once_on_another(fakes):
    dying, live = await fakes("dying", "dies"), await fakes("live")
    client = RasaClient(f"{dying.url},{live.url}", "token", timeout_seconds=5)
    try:
        assert await answered_by(client, "m1") == "live"
    finally:
        await client.close()
    assert dying.turns == ["m1"] and live.turns == ["m1"]


@pytest.mark.parametrize("lock_seconds, answered", [(1.0, True), (0.0, False)])
async def test_the_retried_turn_may_wait_out_the_dead_servers_lock(fakes, lock_seconds, answered):
    # The next server first waits for the conversation's lock the dead one held (up to
    # TICKET_LOCK_LIFETIME), then runs the turn: the retry's deadline has that wait added.
    dying, waiting = await fakes("dying", "dies"), await fakes("waiting", "waits")
    client = RasaClient(f"{dying.url},{waiting.url}", "token", timeout_seconds=0.3, lock_seconds=lock_seconds)
    try:
        if answered:
            assert await answered_by(client, "m1") == "waiting"
        else:
            with pytest.raises(RasaError):
                await answered_by(client, "m1")
    finally:
        await client.close()


async def test_the_next_server_is_tried_once_only(fakes):
    live = await fakes("live")
    client = RasaClient(f"{closed()},{closed()},{live.url}", "token", timeout_seconds=5)
    try:
        with pytest.raises(RasaError):
            await answered_by(client, "m1")  # the first two, both down
    finally:
        await client.close()
    assert live.turns == []


@pytest.mark.parametrize("mode", ["fails", "hangs"])
async def test_a_server_that_may_have_run_the_turn_is_not_retried(fakes, mode):
    # An error answer, or no answer in time: the turn may have run there, so it is not run again.
    troubled, other = await fakes("troubled", mode), await fakes("other")
    client = RasaClient(f"{troubled.url},{other.url}", "token", timeout_seconds=1)
    try:
        with pytest.raises(RasaError):
            await answered_by(client, "m1")
    finally:
        await client.close()
    assert troubled.turns == ["m1"] and other.turns == []


async def test_every_server_down_is_an_error_and_unhealthy():
    client = RasaClient(f"{closed()},{closed()}", "token", timeout_seconds=2)
    try:
        with pytest.raises(RasaError):
            await answered_by(client, "m1")
        assert await client.server_health() == [False, False]
        assert not await client.healthy()
    finally:
        await client.close()


def test_rasa_url_must_name_a_server():
    with pytest.raises(ValueError):
        RasaClient(" , ", "token", timeout_seconds=1)
