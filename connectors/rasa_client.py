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


class RasaClient:
    """Turns are spread over the servers in turn (Rasa's Redis lock store keeps a conversation's
    turns in order whichever server takes them). A turn whose server is down — refused, or the
    connection dropped mid-turn — goes to the next server, once; a timeout or an error answer
    does not, since that server may have run the turn."""

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
        first = next(self._next) % len(self.servers)
        tries = self.servers[first:] + self.servers[:first]
        try:
            return await self._post(tries[0], body)
        except _Unreachable as error:
            if len(tries) == 1:
                raise
            # Refused (down) or dropped mid-turn (died): the turn is tried once more, elsewhere.
            logger.warning(
                "rasa unreachable server=%s error=%s conversation=%s retried_on=%s",
                tries[0],
                error,
                conversation_tag(sender),
                tries[1],
            )
            return await self._post(tries[1], body, self._retry_timeout)

    async def _post(self, server: str, body: dict[str, Any], timeout: Optional[aiohttp.ClientTimeout] = None) -> list[dict]:
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
