"""The web chat: a Persian page, its messages going through the same router as messengers,
and replies (from the bot now or a person later) coming back as server-sent events."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from pathlib import Path
from typing import Optional

from aiohttp import web
from pydantic import ValidationError
from redis.exceptions import ConnectionError as RedisConnectionError

from connectors.models import InboundMessage, OutboundMessage
from connectors.outbox import Outbox
from connectors.router import Router

logger = logging.getLogger("gateway.web")
STATIC = Path(__file__).resolve().parent / "static"
COOKIE = "hamyar_chat"
CHANNEL = "web"
ROUTER: web.AppKey[Router] = web.AppKey("router", Router)
OUTBOX: web.AppKey[Outbox] = web.AppKey("outbox", Outbox)
KEEPALIVE: web.AppKey[float] = web.AppKey("keepalive", float)


def chat_id_of(token: str) -> str:
    """The conversation is named by a hash of the cookie, never by the cookie itself."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def _session(request: web.Request) -> Optional[str]:
    token = request.cookies.get(COOKIE, "")
    return chat_id_of(token) if 20 <= len(token) <= 64 else None


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    return origin is None or origin.split("://", 1)[-1] == request.host


async def page(request: web.Request) -> web.StreamResponse:
    response = web.FileResponse(STATIC / "chat.html", headers={"Cache-Control": "no-store"})
    if _session(request) is None:
        response.set_cookie(COOKIE, secrets.token_urlsafe(32), httponly=True, samesite="Strict", max_age=30 * 24 * 3600)
    return response


async def post_message(request: web.Request) -> web.Response:
    chat_id = _session(request)
    if chat_id is None:
        return web.json_response({"error": "no_session"}, status=401)
    if not _same_origin(request):
        return web.json_response({"error": "cross_origin"}, status=403)
    try:
        body = await request.json()
        if not isinstance(body, dict):
            raise ValueError
        start = body.get("start") is True
        message = InboundMessage(
            internal_payload="/greet" if start else None,
            channel=CHANNEL,
            chat_id=chat_id,
            user_id=chat_id,
            message_id="start" if start else str(body.get("message_id", "")),
            text=body.get("text") if isinstance(body.get("text"), str) else None,
            button_id=body.get("button_id") if isinstance(body.get("button_id"), str) else None,
        )
    except (ValueError, ValidationError):
        return web.json_response({"error": "malformed"}, status=400)
    outbox = request.app[OUTBOX]
    if start and await outbox.last_id(message.conversation_id):
        return web.json_response({"status": "duplicate"})
    router = request.app[ROUTER]

    async def echo() -> None:
        # The citizen's own words join the history, so a reload shows the whole conversation.
        if start:
            return
        shown = message.text
        if message.button_id:
            button = await router.buttons.resolve(message.conversation_id, message.button_id)
            shown = button["title"] if button else None
        if shown and shown.strip():
            await outbox.put(message.conversation_id, OutboundMessage(text=shown[:2000]), sender="user", message_id=message.message_id)

    replies = await router.handle(message, text_limit=2000, on_accepted=echo)
    if replies is None:
        return web.json_response({"status": "duplicate"})
    for reply in replies:
        await outbox.put(message.conversation_id, reply)
    return web.json_response({"status": "ok", "replies": len(replies)})


async def events(request: web.Request) -> web.StreamResponse:
    chat_id = _session(request)
    if chat_id is None:
        return web.json_response({"error": "no_session"}, status=401)
    conversation = f"{CHANNEL}:{chat_id}"
    after = request.headers.get("Last-Event-ID") or request.query.get("after") or "0"
    if not all(part.isdigit() for part in after.split("-", 1)):
        after = "0"
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"})
    await response.prepare(request)
    outbox = request.app[OUTBOX]
    keepalive_ms = int(request.app[KEEPALIVE] * 1000)
    try:
        await response.write(b": connected\n\n")
        while True:
            entries = await outbox.read(conversation, after, block_ms=keepalive_ms)
            if not entries:
                await response.write(b": keep-alive\n\n")
                continue
            for entry_id, sender, message in entries:
                data = json.dumps({"sender": sender, **message}, ensure_ascii=False)
                await response.write(f"id: {entry_id}\ndata: {data}\n\n".encode())
                after = entry_id
    except (ConnectionResetError, ConnectionError):
        pass  # the page went away; it resumes from its last id when it comes back
    except RedisConnectionError:
        logger.warning("event stream ended: redis unavailable")
    return response
