"""Asking agencies that do not call back whether a watched case has changed."""

from __future__ import annotations

import asyncio
import logging
from typing import Callable

from actions.agency.client import AgencyClient, AgencyError, Deadline
from nlu.catalog import CatalogFile
from notifications.agency_updates import queue_case_change
from notifications.queue import NoticeQueue
from notifications.store import SubscriptionStore

logger = logging.getLogger("notifications.poller")
# A case in one of these states changes no more: it is no longer asked about.
CLOSED = frozenset({"completed", "rejected"})


class CasePoller:
    def __init__(self, store: SubscriptionStore, catalog: CatalogFile, notices: NoticeQueue, interval_seconds: float,
                 client_for: Callable[[str], AgencyClient]) -> None:
        self._store = store
        self._catalog = catalog
        self._notices = notices
        self._interval = interval_seconds
        self._client_for = client_for

    async def check_once(self) -> int:
        """One round over every watched case; returns how many changes were queued."""
        changes = 0
        for agency_id, code, record in await self._store.watched():
            agency = self._catalog.get().agency(agency_id)
            if agency is None or agency.case_updates != "polling":
                continue
            try:
                case = await self._client_for(agency_id).case(code, record["national_id"], Deadline(4))
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
