"""An aiohttp session opened on first use, for the clients that call out over HTTP.

aiohttp wants a session created inside the running event loop, so a client made at start-up
opens it on its first request, and again if it was closed.
"""

from __future__ import annotations

from typing import Any, Optional

import aiohttp


class LazySession:
    def __init__(self, **options: Any) -> None:
        """``options`` go to ``aiohttp.ClientSession`` (timeout, headers…)."""
        self._options = options
        self._session: Optional[aiohttp.ClientSession] = None

    def get(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(**self._options)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
