"""The queue as the desk sees it: the list, its live stream (server-sent events) and the
supervisor's figures with the citizens waiting past their limit. Each user sees only the agencies
they serve (every agency when they serve none in particular); previews come masked from the queue.

``stream`` is the one way the desk's pages are kept live: it reads what a page shows, sends it,
and reads again whenever the queue's change notices say something moved."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from datetime import datetime
from typing import Awaitable, Callable, Optional

from aiohttp import web

from connectors.web import connected
from desk.callback_list import callbacks_marker
from desk.models import Role, StaffUser
from desk.queue import Waiting
from desk.stats import desk_stats
from desk.web.access import COOKIE, live_session, refusal, requires
from desk.web.state import DESK, USER, DeskWeb

# The desk's name for conversations without an agency (config/desk.yml's "general").
GENERAL = "عمومی"
TOO_MANY_PAGES = "صفحه‌های باز میز کار شما بیش از اندازه است. لطفاً چند صفحه را ببندید و این صفحه را دوباره باز کنید."

logger = logging.getLogger("gateway.desk")


def agency_name(desk: DeskWeb, agency: str) -> str:
    found = desk.catalog.get().agency(agency)
    return found.name if found is not None else GENERAL


def item_json(desk: DeskWeb, waiting: Waiting) -> dict:
    item = waiting.item
    return {
        "conversation_id": item.conversation_id,
        "channel": item.channel,
        "agency": item.agency,
        "agency_name": agency_name(desk, item.agency),
        "reason": item.reason,
        "waiting_seconds": waiting.waiting_seconds,
        "preview": item.preview,
        "priority": item.priority,
        "priority_reasons": list(item.priority_reasons),
    }


async def queue_of(desk: DeskWeb, user: StaffUser, now: datetime) -> dict:
    """``{"waiting": [...]}`` of the agencies the user serves, first to be taken first."""
    waiting = await desk.queue.waiting(now=now)
    return {"waiting": [item_json(desk, w) for w in waiting if user.serves(w.item.agency)]}


async def queue(request: web.Request) -> web.Response:
    desk, user = request.app[DESK], request[USER]
    now = desk.now()
    listing = await queue_of(desk, user, now)
    # Looking at the queue counts as serving it, for the wait the citizens are told.
    agencies = user.agencies or sorted(set(desk.config.agencies) | {item["agency"] for item in listing["waiting"]})
    await desk.queue.serve(str(user.id), agencies, now)
    return web.json_response(listing)


def _event(name: str, data: dict) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


async def stream(
    request: web.Request, current: Callable[[], Awaitable[Optional[tuple[str, dict, object]]]]
) -> web.StreamResponse:
    """Server-sent events: ``current()``'s (event name, data, what must differ for a new event)
    now, then again whenever the queue changes and it differs, until the session ends."""
    desk = request.app[DESK]
    session_id = request.cookies.get(COOKIE, "")
    user_id = request[USER].id
    limit = desk.settings.desk_streams_per_user
    mine = desk.open_streams.setdefault(user_id, [])
    if limit and len(mine) >= limit:
        # Pages gone whose streams have not written since (and so not noticed) free their places.
        mine[:] = [page for page in mine if connected(page)]
        if len(mine) >= limit:
            # Each open page holds a connection and reads the queue on every change.
            logger.info("desk stream refused: %d open for one user", len(mine))
            return refusal("too_many_pages", 429, TOO_MANY_PAGES)
    watch = desk.watch
    mine.append(request)
    sent: object = None
    try:
        await watch.ready.wait()
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        )
        await response.prepare(request)
        await response.write(b"retry: 3000\n\n")
        while not watch.closing:
            version = watch.version  # before reading: a change while reading wakes the next wait
            if await live_session(desk, session_id) is None:
                await response.write(_event("ended", {}))
                break
            now = await current()
            if now is not None and now[2] != sent:
                await response.write(_event(now[0], now[1]))
                sent = now[2]
            if not await watch.wait_past(version, desk.keepalive_seconds):
                await response.write(b": keep-alive\n\n")
    except (ConnectionResetError, ConnectionError):
        pass  # the page went away; EventSource comes back by itself
    finally:
        mine[:] = [page for page in mine if page is not request]
        if not mine:
            desk.open_streams.pop(user_id, None)
    return response


async def queue_events(request: web.Request) -> web.StreamResponse:
    """The user's queue now, then again whenever what they see of it changes."""
    desk, user = request.app[DESK], request[USER]

    async def current() -> tuple[str, dict, object]:
        listing = await queue_of(desk, user, desk.now())
        async with desk.db() as db:
            listing["callbacks"] = await callbacks_marker(db, user)  # the page reads the list again when it moves
        # Waiting times tick on in the page: not a change by themselves.
        waiting = [{k: v for k, v in item.items() if k != "waiting_seconds"} for item in listing["waiting"]]
        return "queue", listing, (waiting, listing["callbacks"])

    return await stream(request, current)


async def supervisor_view(desk: DeskWeb) -> dict:
    """The figures, and who waits past their agency's alert limit (longest first)."""
    now = desk.now()
    async with desk.db() as db:
        stats = await desk_stats(db, desk.queue, desk.config.zone, now)
    overdue = sorted(await desk.queue.past_limit(now), key=lambda w: -w.waiting_seconds)
    return {**asdict(stats), "overdue": [item_json(desk, waiting) for waiting in overdue]}


@requires(Role.supervisor)
async def supervisor(request: web.Request) -> web.Response:
    return web.json_response(await supervisor_view(request.app[DESK]))


@requires(Role.supervisor)
async def supervisor_events(request: web.Request) -> web.StreamResponse:
    """The supervisor's view, again whenever the queue changes or a citizen passes the limit."""
    desk = request.app[DESK]

    async def current() -> tuple[str, dict, object]:
        view = await supervisor_view(desk)
        ticking = {"longest_wait_seconds", "overdue"}
        still = {k: v for k, v in view.items() if k not in ticking}
        overdue = [item["conversation_id"] for item in view["overdue"]]
        return "supervisor", view, (still, overdue)

    return await stream(request, current)
