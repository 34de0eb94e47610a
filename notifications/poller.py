"""Asking agencies that do not call back whether a watched case has changed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import AsyncIterator, Callable

from aiohttp import web

from agencies.client import AgencyError, Deadline
from agencies.client_cache import AgencyClients
from agencies.subscriptions import SubscriptionStore
from connectors.keys import CATALOG, NOTICES, SUBSCRIPTIONS
from notifications.agency_updates import queue_case_change
from notifications.queue import NoticeQueue

logger = logging.getLogger("notifications.poller")
# A case in one of these states changes no more: it is no longer asked about.
CLOSED = frozenset({"completed", "rejected"})


class CasePoller:
    def __init__(self, store: SubscriptionStore, clients: AgencyClients, notices: NoticeQueue, interval_seconds: float) -> None:
        self._store = store
        self._clients = clients
        self._notices = notices
        self._interval = interval_seconds

    async def check_once(self) -> int:
        """One round over every watched case; returns how many changes were queued."""
        changes = 0
        for agency_id, code, record in await self._store.watched():
            agency = self._clients.catalog.agency(agency_id)
            if agency is None or agency.case_updates != "polling":
                continue
            try:
                case = await self._clients.get(agency_id).case(code, record["national_id"], Deadline(4))
            except AgencyError as error:
                logger.warning("poll failed agency=%s error=%s", agency_id, type(error).__name__)
                continue
            if case.status_text == record.get("status_text"):
                continue
            changes += 1
            # Queued before it is recorded as seen: if recording fails, the next round queues it
            # again, and the dedup ids keep anyone from hearing it twice.
            await queue_case_change(self._notices, self._store, agency_id, code, case.status_text, case.last_update.isoformat())
            if case.status in CLOSED:
                await self._store.unwatch(agency_id, code)  # the owner's national id is not needed any more
            else:
                await self._store.seen(agency_id, code, record, case.status_text)
        return changes

    async def run(self) -> None:
        while True:
            try:
                changes = await self.check_once()
                if changes:
                    logger.info("poll round changes=%d", changes)
            except Exception as error:  # one bad round must not stop the watching
                logger.error("poll round failed error=%s", type(error).__name__)
            await asyncio.sleep(self._interval)


def watch_cases(interval_seconds: float) -> Callable[[web.Application], AsyncIterator[None]]:
    """The gateway's cleanup context that polls, while the app runs, the agencies that do not call
    back (none when ``interval_seconds`` is 0)."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        clients = AgencyClients(app[CATALOG])
        task = None
        if interval_seconds > 0 and any(a.case_updates == "polling" for a in clients.catalog.agencies):
            poller = CasePoller(app[SUBSCRIPTIONS], clients, app[NOTICES], interval_seconds)
            task = asyncio.create_task(poller.run())
        yield
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await clients.close()

    return context
