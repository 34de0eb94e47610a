"""The gateway's GET /health names each part that is down: Redis, each Rasa server, each action
server, each agency of the catalogue; it answers 503 only when the gateway cannot serve."""

from __future__ import annotations

from typing import AsyncIterator

import aiohttp
import pytest
import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestServer

from connectors.gateway import create_app
from connectors.health import HealthProbe
from connectors.rasa_client import RasaClient
from tests.conftest import free_port, gateway_settings


class Answering:
    """A process that answers 200 to any GET (a Rasa server's or an action server's health), counted."""

    def __init__(self) -> None:
        self.asked = 0
        app = web.Application()
        app.router.add_get("/{tail:.*}", self.answer)
        self.server = TestServer(app, host="127.0.0.1")

    async def answer(self, request: web.Request) -> web.Response:
        self.asked += 1
        return web.json_response({"status": "ok"})

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")


@pytest.fixture
async def answering() -> AsyncIterator[Answering]:
    process = Answering()
    await process.server.start_server()
    yield process
    await process.server.close()


def closed() -> str:
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def agencies(sandbox, monkeypatch) -> None:
    """The catalogue's agencies at the sandbox, but the police's, whose address nothing answers."""
    base, _ = sandbox
    for name, path in {
        "AGENCY_TAMIN_URL": "tamin",
        "AGENCY_SABT_URL": "sabt",
        "IDENTITY_URL": "identity",
        "SMS_URL": "sms",
    }.items():
        monkeypatch.setenv(name, f"{base}/{path}")
    monkeypatch.setenv("AGENCY_POLICE_URL", f"{closed()}/police")


async def health_of(settings) -> tuple[int, dict]:
    server = TestServer(create_app(settings), host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.make_url("/health")) as response:
                return response.status, await response.json()
    finally:
        await server.close()


async def test_each_part_is_named_up_or_down(redis_server, answering, agencies):
    settings = gateway_settings(redis_server, rasa_url=f"{answering.url},{closed()}", actions_url=f"{closed()},{answering.url}")
    status, report = await health_of(settings)
    # Serving: Redis and one Rasa server are up; what is down is named.
    assert status == 200
    assert report == {
        "status": "degraded",
        "redis": True,
        "rasa": True,
        "parts": {
            "actions-1": "down",
            "actions-2": "up",
            "agency-identity": "up",
            "agency-police": "down",
            "agency-sabt": "up",
            "agency-sms": "up",
            "agency-tamin": "up",
            "rasa-1": "up",
            "rasa-2": "down",
            "redis": "up",
        },
    }
    assert "127.0.0.1" not in str(report)  # parts by name, never by address


async def test_all_up_is_ok(redis_server, answering, agencies, monkeypatch):
    monkeypatch.setenv("AGENCY_POLICE_URL", f"{answering.url}/police")
    status, report = await health_of(gateway_settings(redis_server, rasa_url=answering.url, actions_url=answering.url))
    assert (status, report["status"]) == (200, "ok")
    assert set(report["parts"].values()) == {"up"}


async def test_without_any_rasa_server_the_gateway_is_down(redis_server, answering, agencies):
    status, report = await health_of(gateway_settings(redis_server, rasa_url=f"{closed()},{closed()}"))
    assert (status, report["status"], report["rasa"]) == (503, "down", False)
    assert (report["parts"]["rasa-1"], report["parts"]["rasa-2"]) == ("down", "down")


async def test_without_redis_the_gateway_is_down(answering):
    # A gateway does not start without Redis; one whose Redis went away answers this.
    redis = aioredis.from_url(f"redis://127.0.0.1:{free_port()}/0")
    rasa = RasaClient(answering.url, "token", timeout_seconds=2)
    probe = HealthProbe(redis, rasa, [], None)
    try:
        report = await probe.report()
    finally:
        await rasa.close()
        await probe.close()
        await redis.aclose()
    assert report == {"status": "down", "redis": False, "rasa": True, "parts": {"rasa-1": "up", "redis": "down"}}


async def test_parts_are_probed_at_most_once_a_period_however_often_asked(redis_server, answering):
    settings = gateway_settings(redis_server, rasa_url=answering.url, actions_url=answering.url, health_cache_seconds=60)
    server = TestServer(create_app(settings), host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(5):
                async with session.get(server.make_url("/health")) as response:
                    assert response.status == 200
    finally:
        await server.close()
    assert answering.asked == 2  # one Rasa health check and one action server's, for five requests
