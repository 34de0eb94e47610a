"""One Redis reader per gateway process for every open web chat event stream.

Each open page used to hold a Redis connection blocked in XREAD of its own. Now one task
blocks in a single XREAD over the outbox streams of every open page and only wakes the pages
whose stream grew; a woken page reads what is new itself, with a short non-blocking read from a
small pool, at its own pace (a slow page holds up nobody). So the gateway needs one blocked
connection and a few short-lived ones, however many pages are open.

A page that opens is added to the reader's XREAD by writing to a wake-up stream of this process
that the XREAD also waits on. The page reads the history itself before waiting, and the reader
starts a new conversation from the stream's last entry at that time, so nothing that arrives
in between is missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass, field
from typing import Callable, Optional

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from connectors.outbox import Outbox, _key

logger = logging.getLogger("gateway.web")
PREFIX = _key("")
READ_POOL = 8  # connections for the pages' own short reads


class Subscription:
    """One open event stream: waits until its conversation's stream may have grown."""

    def __init__(self, hub: "StreamHub", session: str, conversation: str, alive: Callable[[], bool]) -> None:
        self.hub = hub
        self.session = session
        self.conversation = conversation
        self.alive = alive
        self.closed = False
        self._event = asyncio.Event()

    def arm(self) -> None:
        """Call before reading: anything that arrives after the read wakes the next wait."""
        self._event.clear()

    async def wait(self, timeout: float) -> bool:
        """True when woken (new entries, or the stream is closing), False after ``timeout``."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout)
            return True
        return False

    def wake(self) -> None:
        self._event.set()

    def close(self) -> None:
        self.hub.release(self)


@dataclass
class _Watched:
    cursor: str
    subscribers: set[Subscription] = field(default_factory=set)


class StreamHub:
    def __init__(self, redis_url: str, max_streams: int, per_session: int, block_seconds: float = 5.0) -> None:
        self.max_streams = max_streams
        self.per_session = per_session
        self._block_ms = max(1, int(block_seconds * 1000))
        # One connection that only ever blocks in XREAD, and a small pool for short reads.
        # redis-py gives up on a socket after 5 s by default: a read that blocks that long must
        # be allowed longer, or every quiet period ends in a "redis unavailable".
        self._reader = aioredis.Redis.from_url(
            redis_url,
            decode_responses=True,
            single_connection_client=True,
            client_name="hamyar-web-events",
            socket_timeout=block_seconds + 10,
        )
        pool = aioredis.BlockingConnectionPool.from_url(redis_url, decode_responses=True, max_connections=READ_POOL, timeout=30)
        self._pool = aioredis.Redis.from_pool(pool)
        self.outbox = Outbox(self._pool)
        self._wake_key = f"hamyar:outbox-wake:{uuid.uuid4().hex}"
        self._wake_id = "0-0"
        self._watched: dict[str, _Watched] = {}
        self._sessions: dict[str, set[Subscription]] = {}
        self._count = 0
        self._task: Optional[asyncio.Task] = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="stream-hub")

    async def stop(self) -> None:
        self.close_all()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(RedisError, OSError):
            await self._pool.delete(self._wake_key)
        await self._reader.aclose()
        await self._pool.aclose()

    def close_all(self) -> None:
        """End every open stream (the gateway is shutting down); pages reconnect elsewhere."""
        for subscribers in list(self._sessions.values()):
            for subscription in list(subscribers):
                self.release(subscription)

    def _sweep(self, subscriptions: list[Subscription]) -> None:
        """Free the slots of pages that have gone away but whose handler has not noticed yet."""
        for subscription in subscriptions:
            if not subscription.alive():
                self.release(subscription)

    def _refusal(self, session: str) -> Optional[str]:
        """Why a new stream of ``session`` cannot open ("session" or "overall"), or None."""
        if len(self._sessions.get(session, ())) >= self.per_session:
            self._sweep(list(self._sessions.get(session, ())))
            if len(self._sessions.get(session, ())) >= self.per_session:
                return "session"
        if self._count >= self.max_streams:
            self._sweep([s for subscribers in self._sessions.values() for s in subscribers])
            if self._count >= self.max_streams:
                return "overall"
        return None

    async def open(self, session: str, conversation: str, alive: Callable[[], bool]) -> Subscription | str:
        """A subscription, or why there is none: "session" (too many open for this session) or
        "overall" (too many open in this process). ``alive`` tells whether the page is still there."""
        refused = self._refusal(session)
        if refused is not None:
            return refused
        subscription = Subscription(self, session, conversation, alive)
        self._sessions.setdefault(session, set()).add(subscription)
        self._count += 1
        try:
            watched = self._watched.get(conversation)
            if watched is None:
                # From the stream's last entry now: the page reads everything up to here itself.
                last = await self.outbox.last_id(conversation)
                if subscription.closed:  # the gateway shut down meanwhile
                    return subscription
                watched = self._watched.setdefault(conversation, _Watched(last or "0-0"))
                watched.subscribers.add(subscription)
                await self._wake()
            else:
                watched.subscribers.add(subscription)
        except BaseException:
            self.release(subscription)
            raise
        return subscription

    def release(self, subscription: Subscription) -> None:
        if subscription.closed:
            return
        subscription.closed = True
        subscription.wake()
        self._count -= 1
        session = self._sessions.get(subscription.session)
        if session is not None:
            session.discard(subscription)
            if not session:
                del self._sessions[subscription.session]
        watched = self._watched.get(subscription.conversation)
        if watched is not None:
            watched.subscribers.discard(subscription)
            if not watched.subscribers:
                del self._watched[subscription.conversation]

    async def _wake(self) -> None:
        async with self._pool.pipeline(transaction=True) as pipe:
            pipe.xadd(self._wake_key, {"w": "1"}, maxlen=16, approximate=True)
            pipe.expire(self._wake_key, 3600)
            await pipe.execute()

    async def _run(self) -> None:
        backoff = 0.5
        while True:
            streams = {self._wake_key: self._wake_id}
            streams.update({PREFIX + conversation: watched.cursor for conversation, watched in self._watched.items()})
            try:
                result = await self._reader.xread(streams, block=self._block_ms, count=100)
            except Exception as error:  # the one reader must outlive any failure
                logger.warning("event reader: redis unavailable (%s)", type(error).__name__)
                # Pages still open see the same outage on their next read and end their stream.
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10)
                continue
            backoff = 0.5
            for key, items in result or []:
                if not items:
                    continue
                if key == self._wake_key:
                    self._wake_id = items[-1][0]
                    continue
                watched = self._watched.get(key[len(PREFIX) :])
                if watched is None:
                    continue  # every page of it closed while the read was under way
                watched.cursor = items[-1][0]
                for subscription in list(watched.subscribers):
                    subscription.wake()
