"""Web chat sessions issued by the gateway: a random id signed with ``WEB_SESSION_SECRET``.

The client only carries the signed cookie. A cookie the gateway did not sign (made up, altered,
signed with another key, or older than its lifetime) names no session: the page gets a fresh one.
The conversation is named by a hash of the session id, so Redis keys and Rasa trackers never hold
the cookie itself.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from typing import Optional

from itsdangerous import BadSignature, TimestampSigner

logger = logging.getLogger("gateway.web")
SALT = "hamyar.web.session"
MIN_SECRET = 32


def chat_id_of(cookie: str, secret: str, max_age: Optional[int] = None) -> Optional[str]:
    """The conversation (chat id) of a signed session cookie, or None when it is not one of ours."""
    if not cookie or len(cookie) > 256:
        return None
    try:
        session_id = TimestampSigner(secret, salt=SALT).unsign(cookie, max_age=max_age).decode()
    except (BadSignature, UnicodeDecodeError):
        return None
    return hashlib.sha256(session_id.encode()).hexdigest()[:32]


class WebSessions:
    """Issues and checks the signed session cookies of one gateway."""

    def __init__(self, secret: str, max_age_seconds: float) -> None:
        if not secret:
            # Safe, but every session ends when the process restarts: `make run` sets a key.
            logger.warning("WEB_SESSION_SECRET is not set: web sessions end when the gateway restarts")
            secret = secrets.token_urlsafe(32)
        elif len(secret) < MIN_SECRET:
            raise ValueError(f"WEB_SESSION_SECRET must be at least {MIN_SECRET} characters")
        self._secret = secret
        self.max_age_seconds = max_age_seconds

    def issue(self) -> tuple[str, str]:
        """A new session: (cookie value, chat id)."""
        session_id = secrets.token_urlsafe(24)
        cookie = TimestampSigner(self._secret, salt=SALT).sign(session_id).decode()
        return cookie, hashlib.sha256(session_id.encode()).hexdigest()[:32]

    def signer(self, salt: str) -> TimestampSigner:
        """A signer with this gateway's key for other links it hands out (e.g. voice, under its
        own ``salt`` so one kind of signed value is never taken for another)."""
        return TimestampSigner(self._secret, salt=salt)

    def chat_id(self, cookie: Optional[str]) -> Optional[str]:
        return chat_id_of(cookie or "", self._secret, int(self.max_age_seconds))

    def address_key(self, address: str) -> str:
        """A client address as a rate-limit key that cannot be read back (IPv4 is easy to guess
        from a plain hash), so Redis holds no citizen's address."""
        return hashlib.blake2b(address.encode(), key=self._secret.encode()[:64], digest_size=12).hexdigest()
