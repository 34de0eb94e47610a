"""Staff sessions, kept server-side in Redis: the browser holds only an opaque random id.

A session lives ``DESK_SESSION_MINUTES`` from its login, checked against the desk's clock (so
tests move time instead of sleeping) and held by a Redis expiry as well, so a forgotten session
leaves nothing behind. Redis keys hold a hash of the id, never the id the cookie carries.

A session also keeps a credential of its user's password (``credential_of``: a hash of the stored
password hash) as it was at login: a new password (``desk.users reset``) ends every session opened
with the old one, wherever it was reset from.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import redis.asyncio as aioredis

PREFIX = "hamyar:desk:session:"
# Longer ids are not ours: refused before any lookup.
MAX_ID = 128


@dataclass(frozen=True)
class Session:
    user_id: int
    csrf_token: str
    expires_at: datetime
    credential: str = ""


def credential_of(password_hash: str) -> str:
    """What a session keeps of its user's password: changes whenever the password does."""
    return hashlib.sha256(b"hamyar-desk-session:" + password_hash.encode()).hexdigest()[:32]


def key_of(session_id: str) -> str:
    """The Redis key of a session: a hash of its id."""
    return PREFIX + hashlib.sha256(session_id.encode()).hexdigest()


class DeskSessions:
    def __init__(self, redis: aioredis.Redis, minutes: float) -> None:
        self._redis = redis
        self.lifetime = timedelta(minutes=minutes)

    async def create(self, user_id: int, now: datetime, credential: str) -> tuple[str, Session]:
        """A new session for the user: (its id for the cookie, the session with its CSRF token)."""
        session_id = secrets.token_urlsafe(32)
        session = Session(user_id, secrets.token_urlsafe(32), now + self.lifetime, credential)
        fields = {
            "user_id": str(user_id),
            "csrf_token": session.csrf_token,
            "expires_at": repr(session.expires_at.timestamp()),
            "credential": credential,
        }
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key_of(session_id), mapping=fields)
            pipe.expire(key_of(session_id), max(1, int(self.lifetime.total_seconds())))
            await pipe.execute()
        return session_id, session

    async def get(self, session_id: str | None, now: datetime) -> Session | None:
        """The live session of this id; None when there is none or it has run out."""
        if not session_id or len(session_id) > MAX_ID:
            return None
        fields = await self._redis.hgetall(key_of(session_id))
        if not fields:
            return None
        expires_at = datetime.fromtimestamp(float(fields["expires_at"]), timezone.utc)
        if now >= expires_at:
            await self.end(session_id)
            return None
        return Session(int(fields["user_id"]), fields["csrf_token"], expires_at, fields.get("credential", ""))

    async def end(self, session_id: str) -> None:
        await self._redis.delete(key_of(session_id))
