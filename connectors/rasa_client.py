"""The gateway's side of Hamyar's Rasa input channel (bot/channel.py)."""

from __future__ import annotations

import asyncio
from typing import Any, Optional

import aiohttp

from agencies.lazy_session import LazySession


class RasaError(Exception):
    """Rasa did not answer the turn: down, timed out, or an action failed inside it."""


class RasaClient:
    def __init__(self, base_url: str, token: str, timeout_seconds: float) -> None:
        self._url = base_url.rstrip("/") + "/webhooks/hamyar/webhook"
        self._health = base_url.rstrip("/") + "/webhooks/hamyar/"
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session = LazySession(headers={"X-Hamyar-Token": self._token})

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
        try:
            async with self._client().post(self._url, json=body, timeout=self._timeout) as response:
                data = await response.json(content_type=None)
                if response.status != 200 or not isinstance(data, dict):
                    raise RasaError(f"status {response.status}: {data.get('error') if isinstance(data, dict) else 'unreadable'}")
                return list(data.get("messages") or [])
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise RasaError(type(error).__name__) from None

    async def healthy(self) -> bool:
        try:
            async with self._client().get(self._health, timeout=aiohttp.ClientTimeout(total=2)) as response:
                return response.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return False
