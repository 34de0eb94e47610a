"""Asking agencies that do not call back whether a watched case has changed."""

from __future__ import annotations

import asyncio
import logging
from typing import Callable

from actions.agency.client import AgencyClient, AgencyError, Deadline
from connectors.delivery import Deliverer
from nlu.catalog import CatalogFile
from nlu.persian import persian_digits
from notifications.store import SubscriptionStore

logger = logging.getLogger("notifications.poller")


class CasePoller:
    def __init__(self, store: SubscriptionStore, catalog: CatalogFile, deliverer: Deliverer, interval_seconds: float,
                 client_for: Callable[[str], AgencyClient]) -> None:
        self._store = store
        self._catalog = catalog
        self._deliverer = deliverer
        self._interval = interval_seconds
        self._client_for = client_for

    async def check_once(self) -> int:
        """One round over every watched case; returns how many changes were announced."""
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
            await self._store.seen(agency_id, code, record, case.status_text)
            for conversation in sorted(await self._store.case_subscribers(agency_id, code)):
                await self._deliverer.say(conversation, "case_changed", code=persian_digits(code), status=case.status_text)
        return changes

    async def run(self) -> None:
        while True:
            try:
                changes = await self.check_once()
                if changes:
                    logger.info("poll round changes=%d", changes)
            except Exception:  # one bad round must not stop the watching
                logger.exception("poll round failed")
            await asyncio.sleep(self._interval)
