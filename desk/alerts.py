"""The supervisor's alert: every little while, citizens who have waited past their agency's limit
(desk/queue.py ``overdue``, each reported once over every gateway process) are logged and pushed
to open supervisor pages through the queue's change notices."""

from __future__ import annotations

import asyncio
import logging
from typing import Optional

from desk.queue import HandoffQueue, Waiting

logger = logging.getLogger("gateway.desk")
CHECK_SECONDS = 15.0


class OverdueAlerts:
    def __init__(self, queue: HandoffQueue, every_seconds: float = CHECK_SECONDS) -> None:
        self._queue = queue
        self._every = every_seconds
        self._task: Optional[asyncio.Task] = None

    async def check(self) -> list[Waiting]:
        """Report the citizens newly past their limit (tests call this instead of waiting)."""
        new = await self._queue.overdue()
        if new:
            logger.warning("desk alert: %d citizen(s) waiting past the limit", len(new))
            await self._queue.announce("overdue")
        return new

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="desk-overdue-alerts")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            try:
                await self.check()
            except Exception as error:  # Redis away for a moment: the next round tries again
                logger.warning("desk alert check failed (%s)", type(error).__name__)
            await asyncio.sleep(self._every)
