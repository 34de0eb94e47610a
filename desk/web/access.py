"""Who may use the desk's API: the session cookie, the CSRF token of every state change, roles,
and the login, logout and "who am I" doors.

Every path under /desk/api needs a live session (401 without one) unless its handler is marked
``public``; a handler marked ``requires(role)`` needs that role or a higher one (403 otherwise).
A request that changes state carries ``X-CSRF-Token``, the session's token (403 when missing or
wrong), and comes from the desk's own origin when the browser names one.
"""

from __future__ import annotations

import hmac
import logging
from typing import Awaitable, Callable, Optional, TypeVar

from aiohttp import web

from connectors.jsonbody import json_object
from connectors.keys import WEB_CONFIG
from connectors.web import client_address
from desk.audit import audit
from desk.models import Role, StaffUser
from desk.users import StaffUsers
from desk.web.sessions import Session, credential_of
from desk.web.state import DESK, SESSION, USER, DeskWeb
from nlu.persian import persian_digits

logger = logging.getLogger("gateway.desk")

API = "/desk/api"
COOKIE = "hamyar_desk"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RANK = {Role.agent: 0, Role.supervisor: 1, Role.admin: 2}
# Longer than any real one: refused before argon2 spends time on it.
MAX_USERNAME, MAX_PASSWORD = 64, 1024

LOGIN_FAILED = "نام کاربری یا رمز عبور درست نیست. پس از چند تلاش نادرست پشت سر هم، حساب چند دقیقه قفل می‌شود."
SLOW_DOWN = "از این دستگاه چند بار پشت سر هم برای ورود تلاش شده است. لطفاً {seconds} ثانیه دیگر دوباره امتحان کنید."

Handler = TypeVar("Handler", bound=Callable[[web.Request], Awaitable[web.StreamResponse]])


def public(handler: Handler) -> Handler:
    """Open without a session (the login itself)."""
    setattr(handler, "desk_public", True)
    return handler


def requires(role: Role) -> Callable[[Handler], Handler]:
    """Open to ``role`` and the roles above it (admin above supervisor above agent)."""

    def mark(handler: Handler) -> Handler:
        setattr(handler, "desk_role", role)
        return handler

    return mark


def refusal(error: str, status: int, text: str = "", headers: dict[str, str] | None = None) -> web.Response:
    body = {"error": error, "text": text} if text else {"error": error}
    return web.json_response(body, status=status, headers=headers)


def _same_origin(request: web.Request) -> bool:
    """Browsers name the origin of a cross-site request; a request naming none is not a browser's."""
    origin = request.headers.get("Origin")
    return origin is None or origin.split("://", 1)[-1] == request.host


def _token_matches(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


async def live_session(desk: DeskWeb, session_id: str) -> Optional[tuple[Session, StaffUser]]:
    """The session of this id and its user, while both hold: the session has not run out, the
    user is neither gone nor disabled, and their password is the one they logged in with. A
    session that no longer holds is ended."""
    session = await desk.sessions.get(session_id, desk.now())
    if session is None:
        return None
    async with desk.db() as db:
        user = await db.get(StaffUser, session.user_id)
    if user is None or user.disabled or not hmac.compare_digest(session.credential, credential_of(user.password_hash)):
        await desk.sessions.end(session_id)
        return None
    return session, user


@web.middleware
async def check_access(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    if not (request.path == API or request.path.startswith(API + "/")):
        return await handler(request)  # pages and their files: they ask the API who is there
    target = request.match_info.handler
    if request.method not in SAFE_METHODS and not _same_origin(request):
        return refusal("cross_origin", 403)
    if getattr(target, "desk_public", False):
        return await handler(request)
    desk = request.app[DESK]
    session_id = request.cookies.get(COOKIE, "")
    found = await live_session(desk, session_id)
    if found is None:
        return refusal("no_session", 401)
    session, user = found
    if request.method not in SAFE_METHODS and not _token_matches(request.headers.get(CSRF_HEADER, ""), session.csrf_token):
        return refusal("csrf", 403)
    if RANK[user.role] < RANK[getattr(target, "desk_role", Role.agent)]:
        return refusal("forbidden", 403)
    request[USER] = user
    request[SESSION] = (session_id, session)
    return await handler(request)


def _address_key(request: web.Request) -> str:
    """The client's address as the web chat counts it: keyed, so Redis cannot give it back."""
    config = request.config_dict[WEB_CONFIG]
    return config.sessions.address_key(client_address(request, config.address_header))


def me_json(user: StaffUser, csrf_token: str) -> dict:
    return {
        "username": user.username,
        "first_name": user.first_name,
        "role": user.role.value,
        "agencies": list(user.agencies),
        "csrf_token": csrf_token,
    }


@public
async def login(request: web.Request) -> web.Response:
    desk: DeskWeb = request.app[DESK]
    wait = await desk.throttle.hit(desk.login_limit, _address_key(request))
    if wait is not None:
        logger.info("desk login refused: too many attempts from one address")
        return refusal("slow_down", 429, SLOW_DOWN.format(seconds=persian_digits(wait)), {"Retry-After": str(wait)})
    try:
        body = await json_object(request)
    except ValueError:
        return refusal("malformed", 400)
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        return refusal("malformed", 400)
    if not username.strip() or len(username) > MAX_USERNAME or not password or len(password) > MAX_PASSWORD:
        return refusal("login_failed", 401, LOGIN_FAILED)
    now = desk.now()
    async with desk.db() as db, db.begin():
        user = await StaffUsers(db, desk.settings).authenticate(username, password, now)
    if user is None:
        # Neither the name nor the password: people type passwords into the name field.
        logger.info("desk login failed")
        return refusal("login_failed", 401, LOGIN_FAILED)
    session_id, session = await desk.sessions.create(user.id, now, credential_of(user.password_hash))
    logger.info("desk login user=%s", user.username)
    response = web.json_response(me_json(user, session.csrf_token))
    response.set_cookie(
        COOKIE,
        session_id,
        httponly=True,
        samesite="Strict",
        secure=desk.secure,
        path="/desk",
        max_age=int(desk.sessions.lifetime.total_seconds()),
    )
    return response


async def logout(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    session_id, _ = request[SESSION]
    await desk.sessions.end(session_id)
    async with desk.db() as db, db.begin():
        audit(db, "logout", await db.get(StaffUser, request[USER].id), request[USER].username, at=desk.now())
    response = web.json_response({"status": "ok"})
    response.del_cookie(COOKIE, path="/desk")
    return response


async def me(request: web.Request) -> web.Response:
    return web.json_response(me_json(request[USER], request[SESSION][1].csrf_token))
