"""``GET /health``: which part of Hamyar is up, as this gateway sees it.

Each part is named as the supervisor names its process (``rasa-2``, ``actions-1``) or, for an
agency of the catalogue, ``agency-<id>`` (``agency-identity``, ``agency-sms`` too); no address is
shown. The answer is ``200`` while this gateway can answer citizens — Redis and at least one Rasa
server up — and ``503`` otherwise, so a load balancer stops sending it messages only then; an
action server or an agency that is down leaves it ``200`` with ``status: degraded``, since the
citizen still gets the kind answer for a part that is down. Probes run at most once per
``cache_seconds`` whatever the traffic: the endpoint is public and must not multiply requests.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Optional

import aiohttp
import redis.asyncio as aioredis
from aiohttp import web

from agencies.catalog import CatalogFile
from agencies.lazy_session import LazySession
from connectors.keys import HEALTH
from connectors.rasa_client import RasaClient

PROBE_TIMEOUT = aiohttp.ClientTimeout(total=2)


class HealthProbe:
    def __init__(
        self,
        redis: aioredis.Redis,
        rasa: RasaClient,
        actions: list[str],
        catalog: Optional[CatalogFile],
        cache_seconds: float = 1.0,
    ) -> None:
        """``actions``: the action servers' base URLs (``ACTIONS_URL``); ``catalog``: the agencies
        to probe, or None for none."""
        self._redis = redis
        self._rasa = rasa
        self._actions = actions
        self._catalog = catalog
        self._cache_seconds = cache_seconds
        self._session = LazySession(timeout=PROBE_TIMEOUT)
        self._last: Optional[tuple[float, dict[str, Any]]] = None
        self._probing: Optional[asyncio.Future] = None

    async def close(self) -> None:
        await self._session.close()

    async def report(self) -> dict[str, Any]:
        """The latest report, probed again when older than ``cache_seconds``; callers arriving
        during a probe share it."""
        now = asyncio.get_running_loop().time()
        if self._last is not None and now - self._last[0] < self._cache_seconds:
            return self._last[1]
        if self._probing is None or self._probing.done():
            self._probing = asyncio.ensure_future(self._probe())
        # Shielded: a client hanging up does not cancel the probe others wait on.
        return await asyncio.shield(self._probing)

    async def _probe(self) -> dict[str, Any]:
        agencies = self._agencies()
        checks: dict[str, Awaitable[bool]] = {
            "redis": self._redis_up(),
            **{f"actions-{i}": self._answers(url + "/health", ok_below=300) for i, url in enumerate(self._actions, 1)},
            # An agency that answers at all (even 401 or 404 to a bare GET) is reachable.
            **{f"agency-{name}": self._answers(url, ok_below=500) for name, url in agencies.items()},
        }
        rasa, results = await asyncio.gather(self._rasa.server_health(), asyncio.gather(*checks.values()))
        up = dict(zip(checks, results))
        up.update({f"rasa-{i}": ok for i, ok in enumerate(rasa, 1)})
        serving = up["redis"] and any(rasa)
        status = "ok" if all(up.values()) else "degraded" if serving else "down"
        report = {
            "status": status,
            # Kept from the first version of this endpoint.
            "redis": up["redis"],
            "rasa": any(rasa),
            "parts": {name: "up" if ok else "down" for name, ok in sorted(up.items())},
        }
        self._last = (asyncio.get_running_loop().time(), report)
        return report

    def _agencies(self) -> dict[str, str]:
        if self._catalog is None:
            return {}
        catalog = self._catalog.get()
        urls = {agency.id: agency.endpoint.base_url for agency in catalog.agencies}
        return {**urls, "identity": catalog.identity.base_url, "sms": catalog.sms.base_url}

    async def _redis_up(self) -> bool:
        try:
            return bool(await asyncio.wait_for(self._redis.ping(), PROBE_TIMEOUT.total))
        except Exception:
            return False

    async def _answers(self, url: str, ok_below: int) -> bool:
        try:
            async with self._session.get().get(url, allow_redirects=False) as response:
                return response.status < ok_below
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
            return False


async def handle(request: web.Request) -> web.Response:
    report = await request.app[HEALTH].report()
    return web.json_response(report, status=503 if report["status"] == "down" else 200)
