"""HMAC-SHA256 signatures of the generic webhook: over ``timestamp + "." + body``."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Optional

MAX_AGE_SECONDS = 300


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signed_headers(secret: str, body: bytes, now: Optional[float] = None) -> dict[str, str]:
    timestamp = str(int(now if now is not None else time.time()))
    return {"X-Hamyar-Timestamp": timestamp, "X-Hamyar-Signature": sign(secret, timestamp, body), "Content-Type": "application/json"}


def verify(secret: str, timestamp: str, signature: str, body: bytes, now: Optional[float] = None) -> Optional[str]:
    """None when the request is genuine and fresh, else why not ("stale" or "bad_signature")."""
    try:
        age = abs((now if now is not None else time.time()) - int(timestamp))
    except ValueError:
        return "bad_signature"
    if age > MAX_AGE_SECONDS:
        return "stale"
    if not hmac.compare_digest(sign(secret, timestamp, body).encode(), signature.encode()):
        return "bad_signature"
    return None


async def read_signed(request, secret: str, model, max_body: int, log_name: str):
    """The request's JSON as ``model`` if it is signed with ``secret``, fresh and small enough;
    otherwise the error response to send. (aiohttp request; pydantic model class.)"""
    from aiohttp import web
    from pydantic import ValidationError

    raw = await request.content.read(max_body + 1)
    if len(raw) > max_body or (request.content_length or 0) > max_body:
        return web.json_response({"error": "too_large"}, status=413)
    problem = verify(secret, request.headers.get("X-Hamyar-Timestamp", ""), request.headers.get("X-Hamyar-Signature", ""), raw)
    if problem:
        import logging

        logging.getLogger("gateway.signing").warning("signed request refused from=%s reason=%s", log_name, problem)
        return web.json_response({"error": problem}, status=401)
    try:
        return model.model_validate_json(raw)
    except ValidationError:
        return web.json_response({"error": "malformed"}, status=400)
