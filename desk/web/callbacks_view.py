"""The call-back list through the API: the requests not done yet (phones masked), what came of a
call, and the audited reveal of a phone to dial."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from desk.callback_list import OUTCOMES, open_callbacks, record_outcome, reveal_phone
from desk.models import CallbackStatus
from desk.web.access import refusal
from desk.web.conversations import body_of
from desk.web.queue_view import agency_name
from desk.web.state import DESK, USER

NOT_FOUND = "این درخواست تماس پیدا نشد."


class Outcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: CallbackStatus


def _id(request: web.Request) -> int | None:
    value = request.match_info["id"]
    return int(value) if value.isdigit() and len(value) < 12 else None


async def listing(request: web.Request) -> web.Response:
    desk, user = request.app[DESK], request[USER]
    async with desk.db() as db:
        rows = await open_callbacks(db, desk.sealer, user)
    return web.json_response(
        {
            "callbacks": [
                {
                    "id": row.id,
                    "conversation_id": row.conversation_id,
                    "channel": row.channel,
                    "agency": row.agency,
                    "agency_name": agency_name(desk, row.agency or ""),
                    "phone": row.phone,
                    "preferred_time": row.preferred_time,
                    "reason": row.reason,
                    "status": row.status.value,
                    "created_at": row.created_at.isoformat(),
                    "handled_at": row.handled_at.isoformat() if row.handled_at else None,
                    "handled_by": row.handled_by,
                }
                for row in rows
            ]
        }
    )


async def outcome(request: web.Request) -> web.Response:
    """``{status: called|not_reached|done}``: what came of the call."""
    desk, user = request.app[DESK], request[USER]
    body = await body_of(request, Outcome)
    callback_id = _id(request)
    if body.status not in OUTCOMES:
        return refusal("bad_request", 400, "status is called, not_reached or done")
    if callback_id is None:
        return refusal("not_found", 404, NOT_FOUND)
    async with desk.db() as db, db.begin():
        done = await record_outcome(db, callback_id, body.status, user, desk.now())
    if not done:
        return refusal("not_found", 404, NOT_FOUND)
    await desk.queue.announce("callback")  # other agents' lists
    return web.json_response({"id": callback_id, "status": body.status.value})


async def reveal(request: web.Request) -> web.Response:
    desk, user = request.app[DESK], request[USER]
    callback_id = _id(request)
    if callback_id is None:
        return refusal("not_found", 404, NOT_FOUND)
    async with desk.db() as db, db.begin():
        phone = await reveal_phone(db, desk.sealer, callback_id, user, desk.now())
    if phone is None:
        return refusal("not_found", 404, NOT_FOUND)
    return web.json_response({"id": callback_id, "phone": phone})
