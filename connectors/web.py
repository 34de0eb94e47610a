"""The web chat: a Persian page, its messages going through the same router as messengers,
and replies (from the bot now or a person later) coming back as server-sent events.

Sessions are issued and signed by the gateway (connectors/websession.py); messages and new
sessions are rate limited in Redis (connectors/throttle.py); event streams wait on the process's
one Redis reader (connectors/streamhub.py), a few per session and a bounded number in all.
"""

from __future__ import annotations

import html
import ipaddress
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import redis.asyncio as aioredis
from aiohttp import web
from pydantic import ValidationError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from connectors.jsonbody import json_object
from connectors.keys import KEEPALIVE, OUTBOX, REPLIES, ROUTER, VOICE_LINKS, WEB_CONFIG
from connectors.models import InboundMessage, OutboundMessage
from connectors.settings import GatewaySettings
from connectors.streamhub import StreamHub, Subscription
from connectors.throttle import Limit, Throttle
from connectors.websession import WebSessions, chat_id_of
from content.replies import Replies
from nlu.identifiers import mask_numbers
from nlu.logtag import conversation_tag

__all__ = ["chat_id_of", "setup"]

logger = logging.getLogger("gateway.web")
STATIC = Path(__file__).resolve().parent / "static"
COOKIE = "hamyar_chat"
CHANNEL = "web"
_STREAM_ID = re.compile(r"[0-9]{1,19}(?:-[0-9]{1,19})?")
# The page loads only its own script and style, talks only to its own origin, and is never framed.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class WebConfig:
    sessions: WebSessions
    throttle: Throttle
    hub: StreamHub
    replies: Replies
    per_session: Limit
    per_address: Limit
    new_sessions: Limit
    address_header: str
    secure: bool


def setup(app: web.Application, settings: GatewaySettings, redis: aioredis.Redis) -> None:
    """The web chat's routes, its stream reader's life, and the security headers of every response
    (after the app has its ``REPLIES``)."""
    hub = StreamHub(
        settings.redis_url,
        settings.web_max_streams,
        settings.web_streams_per_session,
        block_seconds=min(5.0, settings.sse_keepalive_seconds),
    )
    app[KEEPALIVE] = settings.sse_keepalive_seconds
    app[WEB_CONFIG] = WebConfig(
        sessions=WebSessions(settings.web_session_secret, settings.web_session_days * 24 * 3600),
        throttle=Throttle(redis),
        hub=hub,
        replies=app[REPLIES],
        per_session=Limit("web-session", settings.web_messages_per_minute, 60),
        per_address=Limit("web-address", settings.web_address_messages_per_minute, 60),
        new_sessions=Limit("web-new-session", settings.web_new_sessions_per_minute, 60),
        address_header=settings.web_client_address_header,
        secure=settings.public_url.lower().startswith("https://"),
    )

    async def start_hub(app: web.Application) -> None:
        await hub.start()

    async def end_streams(app: web.Application) -> None:
        hub.close_all()  # open pages end now rather than hold the shutdown; they reconnect

    async def stop_hub(app: web.Application) -> None:
        await hub.stop()

    app.on_startup.append(start_hub)
    app.on_shutdown.append(end_streams)
    app.on_cleanup.append(stop_hub)
    app.on_response_prepare.append(security_headers)
    app.router.add_get("/", page)
    app.router.add_post("/chat/messages", post_message)
    app.router.add_get("/chat/events", events)
    app.router.add_static("/static/", STATIC, show_index=False)


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")  # frame-ancestors for older browsers
    config = request.app.get(WEB_CONFIG)
    if config is not None and config.secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")


def client_address(request: web.Request, header: str) -> str:
    """The client's address, from the reverse proxy's header when one is configured; an IPv6
    client is counted by its /64, which one household or phone holds whole."""
    raw = request.headers.get(header, "").split(",")[-1].strip() if header else ""
    raw = raw or request.remote or ""
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _session(request: web.Request) -> Optional[str]:
    return request.app[WEB_CONFIG].sessions.chat_id(request.cookies.get(COOKIE))


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    return origin is None or origin.split("://", 1)[-1] == request.host


def _refused(config: WebConfig, key: str, status: int, wait: int) -> web.Response:
    """A kind answer for an API caller; the page shows its own words for these statuses."""
    return web.json_response(
        {"error": key, "text": config.replies.render(key)["text"], "retry_after": wait},
        status=status,
        headers={"Retry-After": str(wait)},
    )


async def page(request: web.Request) -> web.StreamResponse:
    config = request.app[WEB_CONFIG]
    headers = {"Cache-Control": "no-store"}
    if _session(request) is not None:
        return web.FileResponse(STATIC / "chat.html", headers=headers)
    # No session, or one the gateway did not sign: a fresh one, never the one the cookie names.
    address = config.sessions.address_key(client_address(request, config.address_header))
    wait = await config.throttle.hit(config.new_sessions, address)
    if wait is not None:
        logger.info("web session refused: too many new sessions from one address")
        text = html.escape(config.replies.render("web_try_later")["text"])
        body = (
            f'<!doctype html><html lang="fa" dir="rtl"><head><meta charset="utf-8"><title>همیار</title>'
            f'<link rel="stylesheet" href="/static/chat.css"></head><body><p id="status">{text}</p></body></html>'
        )
        return web.Response(status=429, text=body, content_type="text/html", headers={**headers, "Retry-After": str(wait)})
    cookie, _ = config.sessions.issue()
    response = web.FileResponse(STATIC / "chat.html", headers=headers)
    response.set_cookie(
        COOKIE,
        cookie,
        httponly=True,
        samesite="Strict",
        secure=config.secure,
        path="/",
        max_age=int(config.sessions.max_age_seconds),
    )
    return response


async def _too_fast(request: web.Request, chat_id: str) -> Optional[int]:
    """Seconds to wait when the session or its address sends too fast, else None."""
    config = request.app[WEB_CONFIG]
    wait = await config.throttle.hit(config.per_session, chat_id)
    address = config.sessions.address_key(client_address(request, config.address_header))
    wait = wait or await config.throttle.hit(config.per_address, address)
    if wait is not None:
        logger.info("web message refused: too fast conversation=%s", conversation_tag(f"{CHANNEL}:{chat_id}"))
    return wait


async def post_message(request: web.Request) -> web.Response:
    chat_id = _session(request)
    if chat_id is None:
        return web.json_response({"error": "no_session"}, status=401)
    if not _same_origin(request):
        return web.json_response({"error": "cross_origin"}, status=403)
    wait = await _too_fast(request, chat_id)
    if wait is not None:
        return _refused(request.app[WEB_CONFIG], "web_slow_down", 429, wait)
    try:
        body = await json_object(request)
        start = body.get("start") is True
        # A page opened with ?code= (a call-centre agent's handoff code) starts with the code, once
        # per code, instead of the greeting; the router opens it (desk/codes.py).
        given = body.get("code") if start else None
        code = given[:16] if isinstance(given, str) and given else None
        message = InboundMessage(
            internal_payload="/greet" if start and not code else None,
            channel=CHANNEL,
            chat_id=chat_id,
            user_id=chat_id,
            message_id=f"code-{code}" if code else "start" if start else str(body.get("message_id", "")),
            text=code or (body.get("text") if isinstance(body.get("text"), str) else None),
            button_id=body.get("button_id") if isinstance(body.get("button_id"), str) else None,
        )
    except (ValueError, ValidationError):
        return web.json_response({"error": "malformed"}, status=400)
    outbox = request.app[OUTBOX]
    if start and not code and await outbox.last_id(message.conversation_id):
        return web.json_response({"status": "duplicate"})
    router = request.app[ROUTER]

    async def echo() -> None:
        # The citizen's own words join the history, so a reload shows the whole conversation;
        # with numbers masked, so no national id, phone or code is kept or shown again in clear.
        if start:
            return
        shown = message.text
        if message.button_id:
            button = await router.buttons.resolve(message.conversation_id, message.button_id)
            shown = button["title"] if button else None
        if shown and shown.strip():
            await outbox.put(
                message.conversation_id,
                OutboundMessage(text=mask_numbers(shown[:2000])),
                sender="user",
                message_id=message.message_id,
            )

    replies = await router.handle(message, text_limit=2000, on_accepted=echo)
    if replies is None:
        return web.json_response({"status": "duplicate"})
    links = request.app.get(VOICE_LINKS)
    for reply in replies:
        if reply.clear_history:
            # Goodbye: a reload (or anyone at this computer later) no longer sees the conversation.
            await outbox.clear(message.conversation_id)
        if reply.speak and links is not None:
            # The page plays it from the gateway, same origin (the CSP's media-src).
            reply = reply.model_copy(update={"audio_url": await links.url(reply.speak)})
        await outbox.put(message.conversation_id, reply)
    return web.json_response({"status": "ok", "replies": len(replies)})


def connected(request: web.Request) -> bool:
    """Whether the client that made ``request`` is still there (its connection open)."""
    transport = request.transport
    return transport is not None and not transport.is_closing()


async def events(request: web.Request) -> web.StreamResponse:
    chat_id = _session(request)
    if chat_id is None:
        return web.json_response({"error": "no_session"}, status=401)
    config = request.app[WEB_CONFIG]
    conversation = f"{CHANNEL}:{chat_id}"
    after = request.headers.get("Last-Event-ID") or request.query.get("after") or "0"
    # A Redis stream id: ASCII digits only (``isdigit`` takes «²»), few enough for 64 bits.
    if not _STREAM_ID.fullmatch(after):
        after = "0"
    try:
        subscription = await config.hub.open(chat_id, conversation, lambda: connected(request))
    except RedisError:
        logger.warning("event stream refused: redis unavailable")
        return web.json_response({"error": "unavailable"}, status=503, headers={"Retry-After": "5"})
    if not isinstance(subscription, Subscription):
        # Too many pages of one session (429), or of this whole process (503).
        logger.info("event stream refused: %s limit conversation=%s", subscription, conversation_tag(conversation))
        return _refused(config, "web_try_later", 429 if subscription == "session" else 503, 30)
    try:
        return await _stream(request, subscription, after)
    finally:
        subscription.close()


async def _stream(request: web.Request, subscription: Subscription, after: str) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
    await response.prepare(request)
    outbox = request.app[WEB_CONFIG].hub.outbox
    keepalive = request.app[KEEPALIVE]
    try:
        await response.write(b": connected\n\n")
        while not subscription.closed:
            subscription.arm()  # before reading: whatever arrives after the read wakes the wait
            entries = await outbox.read(subscription.conversation, after)
            if entries:
                for entry_id, sender, message in entries:
                    data = json.dumps({"sender": sender, **message}, ensure_ascii=False)
                    await response.write(f"id: {entry_id}\ndata: {data}\n\n".encode())
                    after = entry_id
                continue
            if not await subscription.wait(keepalive):
                await response.write(b": keep-alive\n\n")
    except (ConnectionResetError, ConnectionError):
        pass  # the page went away; it resumes from its last id when it comes back
    except RedisConnectionError:
        logger.warning("event stream ended: redis unavailable")
    return response
