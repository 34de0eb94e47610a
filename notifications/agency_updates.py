"""An agency tells Hamyar a case changed (signed like the generic webhook); subscribers hear it.

The callback is answered 200 once the change is queued for every subscriber (notifications/
queue.py delivers it, at least once and never twice), 503 when it could not be queued, so the
agency sends it again.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Optional

from aiohttp import web
from pydantic import BaseModel, Field
from redis.exceptions import RedisError

from agencies.subscriptions import SubscriptionStore
from connectors.keys import CATALOG, NOTICES, SUBSCRIPTIONS
from connectors.signing import forget_signature_on_failure, read_signed
from nlu.persian import persian_digits
from notifications.queue import NoticeQueue, notice

logger = logging.getLogger("notifications")
MAX_BODY = 16 * 1024


class CaseChange(BaseModel):
    # ASCII digits: a pattern's \d takes digits of any script.
    tracking_code: str = Field(pattern=r"^[0-9]{6,30}$")
    status_text: str = Field(min_length=1, max_length=200)
    # Tells two changes to the same status apart; without it they are one change.
    updated_at: Optional[str] = Field(default=None, max_length=64)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


async def queue_case_change(
    queue: NoticeQueue, store: SubscriptionStore, agency_id: str, tracking_code: str, status_text: str, updated_at: str = ""
) -> int:
    """Queues the change for everyone following the case; how many notices were queued. The
    same change reported again (an agency's retry, a poll round repeated) has the same dedup ids,
    so nobody hears it twice."""
    change = _digest(agency_id, tracking_code, status_text, updated_at)
    values = {"code": persian_digits(tracking_code), "status": status_text}
    entries = [
        notice(
            conversation,
            "case_changed",
            values,
            dedup=_digest(conversation, agency_id, tracking_code, change),
            case=f"{agency_id}:{tracking_code}",
        )
        for conversation in sorted(await store.case_subscribers(agency_id, tracking_code))
    ]
    return await queue.add(entries)


@forget_signature_on_failure
async def case_updates(request: web.Request) -> web.Response:
    agency = request.app[CATALOG].get().agency(request.match_info["agency"])
    if agency is None or not agency.callback_secret:
        return web.json_response({"error": "unknown_agency"}, status=404)
    change = await read_signed(request, agency.callback_secret, CaseChange, MAX_BODY, f"agency:{agency.id}")
    if isinstance(change, web.Response):
        return change
    if not agency.tracking_code.fullmatch(change.tracking_code):
        return web.json_response({"error": "not_this_agency"}, status=422)
    try:
        queued = await queue_case_change(
            request.app[NOTICES],
            request.app[SUBSCRIPTIONS],
            agency.id,
            change.tracking_code,
            change.status_text,
            change.updated_at or "",
        )
    except RedisError as error:
        logger.error("case change not queued agency=%s error=%s", agency.id, type(error).__name__)
        return web.json_response({"error": "not_queued"}, status=503)
    logger.info("case change queued agency=%s notices=%d", agency.id, queued)
    return web.json_response({"queued": queued})
