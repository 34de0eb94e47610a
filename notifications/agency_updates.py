"""An agency tells Hamyar a case changed (signed like the generic webhook); subscribers hear it."""

from __future__ import annotations

import logging
from typing import Optional

from aiohttp import web
from pydantic import BaseModel, Field

from connectors.delivery import Deliverer
from connectors.signing import read_signed
from nlu.catalog import CatalogFile
from nlu.persian import persian_digits
from notifications.store import SubscriptionStore

logger = logging.getLogger("notifications")
MAX_BODY = 16 * 1024
DELIVERER: web.AppKey[Deliverer] = web.AppKey("deliverer", Deliverer)
SUBSCRIPTIONS: web.AppKey[SubscriptionStore] = web.AppKey("subscriptions", SubscriptionStore)
CATALOG: web.AppKey[CatalogFile] = web.AppKey("catalog", CatalogFile)


class CaseChange(BaseModel):
    tracking_code: str = Field(pattern=r"^\d{6,30}$")
    status_text: str = Field(min_length=1, max_length=200)
    updated_at: Optional[str] = None


async def case_updates(request: web.Request) -> web.Response:
    agency = request.app[CATALOG].get().agency(request.match_info["agency"])
    if agency is None or not agency.callback_secret:
        return web.json_response({"error": "unknown_agency"}, status=404)
    change = await read_signed(request, agency.callback_secret, CaseChange, MAX_BODY, f"agency:{agency.id}")
    if isinstance(change, web.Response):
        return change
    if not agency.tracking_code.fullmatch(change.tracking_code):
        return web.json_response({"error": "not_this_agency"}, status=422)
    deliverer = request.app[DELIVERER]
    notified = failed = 0
    for conversation in sorted(await request.app[SUBSCRIPTIONS].case_subscribers(agency.id, change.tracking_code)):
        if await deliverer.say(conversation, "case_changed", code=persian_digits(change.tracking_code), status=change.status_text):
            notified += 1
        else:
            failed += 1
    logger.info("case change agency=%s notified=%d failed=%d", agency.id, notified, failed)
    return web.json_response({"notified": notified, "failed": failed})
