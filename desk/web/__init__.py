"""The staff desk's web side, served by the gateway under /desk: its pages (plain HTML and
JavaScript, right to left, no build step) and the JSON API they use under /desk/api
(desk/web/openapi-desk.yaml describes it).

``setup`` mounts it on the gateway's app as a sub-application. Handlers only translate HTTP to
calls; who may call what is checked in one place (desk/web/access.py), so a new path is closed
to anyone without a session until its handler says otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Awaitable, Callable, Optional

import redis.asyncio as aioredis
from aiohttp import web

from agencies.catalog import CatalogFile
from connectors.settings import GatewaySettings
from connectors.throttle import Limit, Throttle
from desk.alerts import OverdueAlerts
from desk.handoff import HandoffService
from desk.runtime import DeskRuntime
from desk.web import access, callbacks_view, codes_view, conversations, queue_view
from desk.web.sessions import DeskSessions
from desk.web.state import DESK, DESK_APP, DESK_WEB, DeskWeb
from desk.web.watch import QueueWatch

__all__ = ["DESK_WEB", "DESK_APP", "ROUTES", "setup"]

STATIC = Path(__file__).resolve().parent / "static"
OPENAPI = Path(__file__).resolve().parent / "openapi-desk.yaml"
PREFIX = "/desk"
# Stricter than the web chat's: nothing but the desk's own files, no inline code, no images from
# elsewhere, and Trusted Types, so the browser itself refuses any HTML written into the page.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types 'none'"
)
# What /desk answers when the desk is off (no HAMYAR_DATA_KEY): plain, and nothing to run.
NOT_CONFIGURED = """<!doctype html>
<html lang="fa" dir="rtl"><head><meta charset="utf-8"><title>میز کارشناسان همیار</title></head>
<body><h1>میز کارشناسان همیار</h1>
<p>میز کارشناسان روی این سرور راه‌اندازی نشده است: کلید داده‌ها (HAMYAR_DATA_KEY) تنظیم نشده است.</p>
<p>از مدیر سامانه بخواهید آن را تنظیم کند و همیار را دوباره راه بیندازد.</p>
</body></html>
"""

# The pages: path under /desk → (file in static/, whether it needs a session; without one the
# login page is shown instead).
PAGES = {"/": ("queue.html", True), "/conversation": ("conversation.html", True), "/login": ("login.html", False)}
# (method, path under /desk, handler). A path under /api needs a session unless its handler is
# marked access.public, and the agent role unless marked access.requires(...).
ROUTES: list[tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]]] = [
    ("POST", "/api/login", access.login),
    ("POST", "/api/logout", access.logout),
    ("GET", "/api/me", access.me),
    ("GET", "/api/queue", queue_view.queue),
    ("GET", "/api/queue/events", queue_view.queue_events),
    ("GET", "/api/supervisor", queue_view.supervisor),
    ("GET", "/api/supervisor/events", queue_view.supervisor_events),
    ("GET", "/api/conversations", conversations.mine),
    ("GET", "/api/conversations/{id}", conversations.show),
    ("GET", "/api/conversations/{id}/events", conversations.events),
    ("POST", "/api/conversations/{id}/take", conversations.take),
    ("POST", "/api/conversations/{id}/reveal", conversations.reveal),
    ("POST", "/api/conversations/{id}/messages", conversations.message),
    ("POST", "/api/conversations/{id}/release", conversations.release),
    ("POST", "/api/conversations/{id}/transfer", conversations.transfer),
    ("GET", "/api/transfer-targets", conversations.transfer_targets),
    ("GET", "/api/callbacks", callbacks_view.listing),
    ("POST", "/api/callbacks/{id}", callbacks_view.outcome),
    ("POST", "/api/callbacks/{id}/reveal", callbacks_view.reveal),
    ("GET", "/api/guides", codes_view.guides),
    ("POST", "/api/handoff-codes", codes_view.handoff_code),
]


def setup(
    app: web.Application,
    settings: GatewaySettings,
    redis: aioredis.Redis,
    runtime: DeskRuntime,
    handoffs: Optional[HandoffService],
) -> web.Application:
    """Mount the desk under /desk (after the web chat's ``setup``, whose address keys it shares),
    on the gateway's one desk runtime and handoff service; without them (no HAMYAR_DATA_KEY) /desk
    only says that the desk is not configured."""
    if handoffs is None or runtime.sealer is None:
        return _mount_off(app)
    desk = DeskWeb(
        runtime=runtime,
        handoffs=handoffs,
        sealer=runtime.sealer,
        sessions=DeskSessions(redis, runtime.settings.desk_session_minutes),
        watch=QueueWatch(settings.redis_url),
        alerts=OverdueAlerts(handoffs.queue),
        throttle=Throttle(redis),
        login_limit=Limit("desk-login", runtime.settings.desk_login_attempts_per_minute, 60),
        catalog=CatalogFile(),
        secure=settings.public_url.lower().startswith("https://"),
        keepalive_seconds=settings.sse_keepalive_seconds,
    )
    sub = web.Application(middlewares=[access.check_access])
    sub[DESK] = desk
    sub.on_startup.append(_start_watch)
    sub.on_shutdown.append(_end_streams)
    sub.on_cleanup.append(_stop_watch)
    sub.on_response_prepare.append(_headers)
    sub.router.add_get("", _to_queue_page)
    for path, (name, signed_in) in PAGES.items():
        sub.router.add_get(path, _page(name, signed_in))
    sub.router.add_static("/static/", STATIC, show_index=False)
    for method, path, handler in ROUTES:
        sub.router.add_route(method, path, handler)
    app.add_subapp(PREFIX, sub)
    app[DESK_WEB] = desk
    app[DESK_APP] = sub
    return sub


def _mount_off(app: web.Application) -> web.Application:
    sub = web.Application()
    sub.on_response_prepare.append(_headers)
    sub.router.add_route("*", "", not_configured)
    sub.router.add_route("*", "/{tail:.*}", not_configured)
    app.add_subapp(PREFIX, sub)
    app[DESK_APP] = sub
    return sub


async def not_configured(request: web.Request) -> web.Response:
    if request.path.startswith(access.API):
        return web.json_response({"error": "not_configured"}, status=503)
    return web.Response(text=NOT_CONFIGURED, content_type="text/html", status=503)


async def _start_watch(app: web.Application) -> None:
    app[DESK].watch.start()
    app[DESK].alerts.start()


async def _end_streams(app: web.Application) -> None:
    app[DESK].watch.close_all()


async def _stop_watch(app: web.Application) -> None:
    await app[DESK].alerts.stop()
    await app[DESK].watch.stop()


async def _headers(request: web.Request, response: web.StreamResponse) -> None:
    # The gateway's own headers came first (connectors/web.py); the desk's policy replaces its CSP.
    response.headers["Content-Security-Policy"] = CSP
    if not request.path.startswith(PREFIX + "/static/"):
        response.headers["Cache-Control"] = "no-store"


async def _signed_in(request: web.Request) -> bool:
    desk = request.app[DESK]
    return await desk.sessions.get(request.cookies.get(access.COOKIE, ""), desk.now()) is not None


async def _to_queue_page(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound(PREFIX + "/")


def _page(name: str, signed_in: bool) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def page(request: web.Request) -> web.StreamResponse:
        if signed_in and not await _signed_in(request):
            raise web.HTTPFound(PREFIX + "/login")
        return web.FileResponse(STATIC / name)

    return page
