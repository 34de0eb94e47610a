"""HMAC-SHA256 signatures of the generic webhook and agency callbacks: over ``timestamp + "." + body``.

A request is taken when its timestamp is within ``MAX_AGE_SECONDS`` and, once the gateway has a
``ReplayGuard``, its signature has not been used before (a replay is answered 409).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import re
import time
from typing import Awaitable, Callable, Optional

import redis.asyncio as aioredis
from aiohttp import web
from redis.exceptions import RedisError

from connectors.keys import REPLAYS

MAX_AGE_SECONDS = 300
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
logger = logging.getLogger("gateway.signing")


def same_secret(given: str, expected: str) -> bool:
    """``given`` (from a request) is ``expected``, compared in constant time. aiohttp hands a
    header's bytes that are not UTF-8 over as lone surrogates, which ``str.encode`` refuses:
    they are encoded back to the bytes that came."""
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode())


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signed_headers(secret: str, body: bytes, now: Optional[float] = None) -> dict[str, str]:
    timestamp = str(int(now if now is not None else time.time()))
    return {
        "X-Hamyar-Timestamp": timestamp,
        "X-Hamyar-Signature": sign(secret, timestamp, body),
        "Content-Type": "application/json",
    }


def verify(secret: str, timestamp: str, signature: str, body: bytes, now: Optional[float] = None) -> Optional[str]:
    """None when the request is genuine and fresh, else why not ("stale" or "bad_signature")."""
    # Unix seconds in ASCII digits only: ``int`` also reads other scripts, signs, spaces and
    # underscores, and a 400-digit number overflows the float it is subtracted from.
    if not _TIMESTAMP.fullmatch(timestamp):
        return "bad_signature"
    age = abs((now if now is not None else time.time()) - int(timestamp))
    if age > MAX_AGE_SECONDS:
        return "stale"
    if not same_secret(signature, sign(secret, timestamp, body)):
        return "bad_signature"
    return None


class ReplayGuard:
    """Lets each signature in once: a signed request sent again unchanged (same timestamp, same
    signature) within its window is a replay. A genuine retry is signed anew, with a new timestamp.
    Only signatures that verified are remembered, each as long as its timestamp stays fresh."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis

    @staticmethod
    def _key(scope: str, signature: str) -> str:
        return f"hamyar:signed:{scope}:" + hashlib.sha256(signature.encode()).hexdigest()[:40]

    async def first_use(self, scope: str, timestamp: str, signature: str, now: Optional[float] = None) -> bool:
        # verify() accepted the timestamp, so it is an int within MAX_AGE_SECONDS of now.
        left = int(timestamp) + MAX_AGE_SECONDS - int(now if now is not None else time.time()) + 1
        ttl = min(max(left, 1), 2 * MAX_AGE_SECONDS + 1)
        return bool(await self._redis.set(self._key(scope, signature), "1", nx=True, ex=ttl))

    async def forget(self, scope: str, signature: str) -> None:
        """The request was not handled (answered 5xx): its sender may send it again as it was."""
        await self._redis.delete(self._key(scope, signature))


# Which signature this request used, so that a failed handling can forget it.
_USED: web.RequestKey[tuple] = web.RequestKey("hamyar_signature_used", tuple)


async def read_signed(request: web.Request, secret: str, model, max_body: int, log_name: str):
    """The request's JSON as ``model`` if it is signed with ``secret``, fresh, not a replay and
    small enough; otherwise the error response to send. (``model``: a pydantic model class.)"""
    from pydantic import ValidationError

    raw = await request.content.read(max_body + 1)
    if len(raw) > max_body or (request.content_length or 0) > max_body:
        return web.json_response({"error": "too_large"}, status=413)
    timestamp = request.headers.get("X-Hamyar-Timestamp", "")
    signature = request.headers.get("X-Hamyar-Signature", "")
    problem = verify(secret, timestamp, signature, raw)
    if problem:
        logger.warning("signed request refused from=%s reason=%s", log_name, problem)
        return web.json_response({"error": problem}, status=401)
    guard = request.app.get(REPLAYS)
    if guard is not None:
        try:
            first = await guard.first_use(log_name, timestamp, signature)
        except RedisError as error:  # cannot tell a replay: refuse, the sender tries again
            logger.error("signed request not checked from=%s error=%s", log_name, type(error).__name__)
            return web.json_response({"error": "unavailable"}, status=503)
        if not first:
            logger.warning("signed request refused from=%s reason=replayed", log_name)
            return web.json_response({"error": "replayed"}, status=409)
        request[_USED] = (log_name, signature)
    try:
        return model.model_validate_json(raw)
    except ValidationError:
        return web.json_response({"error": "malformed"}, status=400)


def forget_signature_on_failure(handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
    """Wraps a handler that reads a signed request: when it fails (raises or answers 5xx), its
    signature is forgotten, so the sender's unchanged retry is let in rather than called a replay."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            response = await handler(request)
        except BaseException as error:
            if not isinstance(error, web.HTTPException) or error.status >= 500:
                await _forget(request)
            raise
        if response.status >= 500:
            await _forget(request)
        return response

    return wrapped


async def _forget(request: web.Request) -> None:
    used = request.get(_USED)
    guard = request.app.get(REPLAYS)
    if used is not None and guard is not None:
        try:
            await guard.forget(*used)
        except RedisError:  # Redis is down too: the key ages out with the timestamp
            logger.warning("signature not forgotten from=%s", used[0])
