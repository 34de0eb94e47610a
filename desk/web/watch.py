"""One Redis subscription per gateway process to the queue's change notices (desk.queue.CHANGES),
which every open desk page waits on: a page sleeps until the queue changes, then looks again.

Pages compare a version number rather than wait on an event of their own: a page notes the
version, reads the queue, and waits only while the version is still the one it noted, so a change
that lands while it reads is never missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Optional

import redis.asyncio as aioredis

from desk.queue import CHANGES

logger = logging.getLogger("gateway.desk")


class QueueWatch:
    def __init__(self, redis_url: str) -> None:
        self._redis_url = redis_url
        self.version = 0
        self.closing = False
        self.ready = asyncio.Event()  # set once subscribed: changes from then on are seen
        self._changed = asyncio.Event()
        self._task: Optional[asyncio.Task] = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="desk-queue-watch")

    async def stop(self) -> None:
        self.close_all()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)  # its cancellation, awaited

    def close_all(self) -> None:
        """Open pages end their streams now (the gateway is stopping); they reconnect elsewhere."""
        self.closing = True
        self._bump()

    def _bump(self) -> None:
        self.version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_past(self, version: int, timeout: float) -> bool:
        """True once the queue has changed since ``version`` (at once if it has), False after ``timeout``."""
        if self.version != version:
            return True
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)
            return True
        return False

    async def _run(self) -> None:
        backoff = 0.5
        while True:
            client = aioredis.Redis.from_url(self._redis_url, decode_responses=True, client_name="hamyar-desk-watch")
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(CHANGES)
                    async for message in pubsub.listen():
                        if message["type"] == "subscribe":
                            self.ready.set()
                            backoff = 0.5
                        # A fresh subscription may have missed changes: pages look again either way.
                        self._bump()
            except Exception as error:  # the one subscription must outlive any failure
                logger.warning("desk queue watch: redis unavailable (%s)", type(error).__name__)
            finally:
                await client.aclose()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 10)
