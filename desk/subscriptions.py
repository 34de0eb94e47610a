"""The durable copy of case subscriptions, the announcement audience and watched cases.

Redis is the hot copy (agencies/subscriptions.py), read for every notice. Each change there is
also appended to a list of changes, which the gateway writes down here (``write_down``) in order,
one gateway process at a time (a Redis lock). The action server, which makes most changes, so
needs no database and keeps to its layer. When Redis has lost its data (its ``LOADED`` marker is
gone: at start-up, or noticed on a read) ``restore`` puts the database's copy back.

Conversation ids are sealed here (a chat id may be a person's; an SMS bridge's is their phone)
and found by their keyed digest; a watched case's national id arrives sealed already.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Optional

import redis.asyncio as aioredis
from redis.exceptions import LockError
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agencies.sealing import Sealer
from agencies.subscriptions import TTL_SECONDS, Followed, SubscriptionStore, Watched
from desk.models import AudienceMember, CaseSubscription, WatchedCase, utcnow

logger = logging.getLogger("desk.subscriptions")
# Held while one process writes changes down or restores; longer than either takes.
LOCK = "hamyar:subs:writer"
LOCK_SECONDS = 60
BATCH = 200
LIFETIME = timedelta(seconds=TTL_SECONDS)


def _at(change: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(float(change["at"]), timezone.utc)


class DurableSubscriptions:
    def __init__(
        self,
        store: SubscriptionStore,
        redis: aioredis.Redis,
        sessions: async_sessionmaker[AsyncSession],
        sealer: Sealer,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._store = store
        self._redis = redis
        self._sessions = sessions
        self._sealer = sealer
        self._clock = clock
        self._restoring = asyncio.Lock()

    async def write_down(self) -> int:
        """Writes the pending changes to the database, oldest first; how many. 0 while another
        process holds the lock (it writes them)."""
        lock = self._redis.lock(LOCK, timeout=LOCK_SECONDS, blocking=False)
        if not await lock.acquire():
            return 0
        try:
            return await self._write_down()
        finally:
            await _release(lock)

    async def restore(self) -> bool:
        """When Redis lost its copy: the pending changes written down, then the database's copy
        put back. False when Redis had it (or another process restored it meanwhile)."""
        async with self._restoring:  # one restore in this process, however many reads noticed
            if await self._store.loaded():
                return False
            lock = self._redis.lock(LOCK, timeout=LOCK_SECONDS, blocking_timeout=LOCK_SECONDS)
            if not await lock.acquire():
                return False
            try:
                if await self._store.loaded():
                    return False
                await self._store.record_held()  # what Redis still holds (say, from before this copy existed)
                await self._write_down()
                await self._load()
                return True
            finally:
                await _release(lock)

    async def keep(self, interval_seconds: float) -> None:
        """``catch_up`` every ``interval_seconds`` until cancelled; the caller runs the first."""
        while True:
            await asyncio.sleep(interval_seconds)
            await self.catch_up()

    async def catch_up(self) -> None:
        """Restores if Redis lost its copy, then writes the changes down; errors are logged (Redis
        or the database is away: the next round tries again)."""
        try:
            await self.restore()
            await self.write_down()
        except Exception as error:
            logger.warning("subscriptions not written down error=%s", type(error).__name__)

    async def _write_down(self) -> int:
        total = 0
        while changes := await self._store.changes(BATCH):
            async with self._sessions() as session, session.begin():
                for change in changes:
                    try:
                        await self._apply(session, change)
                    except (KeyError, TypeError, ValueError):  # malformed: skipped, or it would stop all after it
                        logger.error("subscription change malformed, skipped op=%s", change.get("op"))
            # Dropped once committed: a process stopped in between writes them again, to the same end.
            await self._store.written(len(changes))
            total += len(changes)
        return total

    async def _apply(self, session: AsyncSession, change: dict[str, Any]) -> None:
        op = change.get("op")
        if op == "subscribe":
            await self._subscribe(session, change["conversation"], change["agency"], change["code"], _at(change))
        elif op == "unsubscribe":
            digests = self._sealer.digests(change["conversation"])
            await session.execute(delete(CaseSubscription).where(CaseSubscription.conversation_digest.in_(digests)))
            await session.execute(delete(AudienceMember).where(AudienceMember.conversation_digest.in_(digests)))
        elif op == "watch":
            case = await self._watched(session, change["agency"], change["code"])
            if case is None:
                case = WatchedCase(agency=change["agency"], tracking_code=change["code"])
                session.add(case)
            case.sealed_national_id, case.status_text = change["sealed_national_id"], change["status_text"]
            case.expires_at = _at(change) + LIFETIME
        elif op == "seen":  # only over a record still there, as in Redis
            await session.execute(
                update(WatchedCase)
                .where(WatchedCase.agency == change["agency"], WatchedCase.tracking_code == change["code"])
                .values(sealed_national_id=change["sealed_national_id"], status_text=change["status_text"])
            )
        elif op == "unwatch":
            await session.execute(
                delete(WatchedCase).where(WatchedCase.agency == change["agency"], WatchedCase.tracking_code == change["code"])
            )
        else:
            logger.error("subscription change of unknown kind skipped op=%s", op)

    async def _subscribe(self, session: AsyncSession, conversation: str, agency: str, code: str, at: datetime) -> None:
        digests = self._sealer.digests(conversation)
        found = await session.scalars(
            select(CaseSubscription).where(
                CaseSubscription.conversation_digest.in_(digests),
                CaseSubscription.agency == agency,
                CaseSubscription.tracking_code == code,
            )
        )
        subscription = found.first()
        if subscription is None:
            subscription = CaseSubscription(agency=agency, tracking_code=code)
            session.add(subscription)
        # Sealed anew under the current key: one written under an old key ages out with it.
        subscription.conversation_digest, subscription.sealed_conversation = digests[0], self._sealer.seal(conversation)
        subscription.subscribed_at, subscription.expires_at = at, at + LIFETIME
        member = (await session.scalars(select(AudienceMember).where(AudienceMember.conversation_digest.in_(digests)))).first()
        if member is None:
            session.add(
                AudienceMember(conversation_digest=digests[0], sealed_conversation=self._sealer.seal(conversation), joined_at=at)
            )
        elif member.conversation_digest != digests[0]:
            member.conversation_digest, member.sealed_conversation = digests[0], self._sealer.seal(conversation)

    @staticmethod
    async def _watched(session: AsyncSession, agency: str, code: str) -> Optional[WatchedCase]:
        found = await session.scalars(select(WatchedCase).where(WatchedCase.agency == agency, WatchedCase.tracking_code == code))
        return found.first()

    async def _load(self) -> None:
        now = self._clock()
        unreadable = 0

        def opened(sealed: str) -> Optional[str]:
            nonlocal unreadable
            try:
                return self._sealer.open(sealed)
            except ValueError:  # sealed under a key no longer configured
                unreadable += 1
                return None

        async with self._sessions() as session:
            subscriptions = (await session.scalars(select(CaseSubscription).where(CaseSubscription.expires_at > now))).all()
            members = (await session.scalars(select(AudienceMember))).all()
            cases = (await session.scalars(select(WatchedCase).where(WatchedCase.expires_at > now))).all()
        followed = [
            Followed(conversation, s.agency, s.tracking_code, int((s.expires_at - now).total_seconds()))
            for s in subscriptions
            if (conversation := opened(s.sealed_conversation)) is not None
        ]
        audience = [conversation for m in members if (conversation := opened(m.sealed_conversation)) is not None]
        watched = [
            Watched(c.agency, c.tracking_code, c.sealed_national_id, c.status_text, int((c.expires_at - now).total_seconds()))
            for c in cases
        ]
        await self._store.load(followed, audience, watched)
        # A warning when anything came back: Redis lost data (on a first start there is nothing).
        logger.log(
            logging.WARNING if followed or audience or watched or unreadable else logging.INFO,
            "subscriptions restored from the database subscriptions=%d audience=%d watched=%d unreadable=%d",
            len(followed),
            len(audience),
            len(watched),
            unreadable,
        )


async def _release(lock: Any) -> None:
    try:
        await lock.release()
    except LockError:  # it expired meanwhile; another process may hold it now
        logger.warning("subscription writer's lock expired before its work was done")
