"""The gateway's side of Hamyar's Rasa input channel (bot/channel.py), over one Rasa server or several."""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import Any, Optional

import aiohttp

from agencies.lazy_session import LazySession
from connectors.settings import url_list
from nlu.logtag import conversation_tag

logger = logging.getLogger("gateway.rasa")


class RasaError(Exception):
    """Rasa did not answer the turn: down, timed out, or an action failed inside it."""


class _Unreachable(RasaError):
    """The server could not be reached or dropped the connection (it died): another may answer."""


# What a turn costs Rasa, in button presses: a typed message runs the sentence encoder and the
# classifier, a button press skips them (about 32 ms of Rasa's CPU against 7: bench/REPORT.md).
TYPED_WORK, BUTTON_WORK = 4, 1


class RasaClient:
    """Each turn goes to the server with the least work in flight from this gateway (typed
    messages weigh more than button presses), in turn among equals: a typed message does not
    queue behind another on one server while the other is idle. Rasa's Redis lock store keeps a
    conversation's turns in order whichever server takes them. A turn whose server is down —
    refused, or the connection dropped mid-turn — goes to the next server, once; a timeout or an
    error answer does not, since that server may have run the turn."""

    def __init__(self, base_url: str, token: str, timeout_seconds: float, lock_seconds: float = 0.0) -> None:
        """``base_url``: one server's URL, or several separated by commas (``RASA_URL``).
        ``lock_seconds``: how long a server that died mid-turn keeps the conversation locked
        (``TICKET_LOCK_LIFETIME``); the turn sent to the next server may wait that long first."""
        self.servers = url_list(base_url)
        if not self.servers:
            raise ValueError("RASA_URL names no Rasa server")
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._retry_timeout = aiohttp.ClientTimeout(total=timeout_seconds + lock_seconds)
        self._session = LazySession(headers={"X-Hamyar-Token": self._token})
        self._next = itertools.count()
        self._in_flight = [0] * len(self.servers)  # work sent to each server and not yet answered

    def _client(self) -> aiohttp.ClientSession:
        return self._session.get()

    async def close(self) -> None:
        await self._session.close()

    async def turn(
        self, sender: str, message_id: str, text: Optional[str], payload: Optional[str], metadata: dict[str, Any]
    ) -> list[dict]:
        body = {"sender": sender, "message_id": message_id, "metadata": metadata}
        if payload:
            body["payload"] = payload
        else:
            body["text"] = text or ""
        work = BUTTON_WORK if payload else TYPED_WORK
        tries = self.least_busy()
        try:
            return await self._post(tries[0], body, work)
        except _Unreachable as error:
            if len(tries) == 1:
                raise
            # Refused (down) or dropped mid-turn (died): the turn is tried once more, elsewhere.
            logger.warning(
                "rasa unreachable server=%s error=%s conversation=%s retried_on=%s",
                self.servers[tries[0]],
                error,
                conversation_tag(sender),
                self.servers[tries[1]],
            )
            return await self._post(tries[1], body, work, self._retry_timeout)

    def least_busy(self) -> list[int]:
        """The servers' indexes, least work in flight first; equals in turn, from a rotating start."""
        first = next(self._next) % len(self.servers)
        rotation = [*range(first, len(self.servers)), *range(first)]
        return sorted(rotation, key=self._in_flight.__getitem__)  # sorted() is stable

    async def _post(
        self, index: int, body: dict[str, Any], work: int, timeout: Optional[aiohttp.ClientTimeout] = None
    ) -> list[dict]:
        self._in_flight[index] += work
        try:
            return await self._post_to(self.servers[index], body, timeout)
        finally:
            self._in_flight[index] -= work

    async def _post_to(self, server: str, body: dict[str, Any], timeout: Optional[aiohttp.ClientTimeout]) -> list[dict]:
        try:
            async with self._client().post(
                server + "/webhooks/hamyar/webhook", json=body, timeout=timeout or self._timeout
            ) as response:
                data = await response.json(content_type=None)
                if response.status != 200 or not isinstance(data, dict):
                    raise RasaError(f"status {response.status}: {data.get('error') if isinstance(data, dict) else 'unreadable'}")
                return list(data.get("messages") or [])
        except aiohttp.ClientConnectionError as error:
            # aiohttp's socket timeouts are connection errors too; the server may still be working.
            if isinstance(error, asyncio.TimeoutError):
                raise RasaError(type(error).__name__) from None
            raise _Unreachable(type(error).__name__) from None
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise RasaError(type(error).__name__) from None

    async def server_health(self) -> list[bool]:
        """Whether each server (in ``servers``' order) answers its channel's health check."""
        return list(await asyncio.gather(*(self._healthy(server) for server in self.servers)))

    async def healthy(self) -> bool:
        """At least one server answers: turns can be served."""
        return any(await self.server_health())

    async def _healthy(self, server: str) -> bool:
        try:
            async with self._client().get(server + "/webhooks/hamyar/", timeout=aiohttp.ClientTimeout(total=2)) as response:
                return response.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return False
