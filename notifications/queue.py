"""Notices delivered at least once and never twice: a Redis stream read by a consumer group.

A case change or an announcement counts as accepted once its entries are on the stream (one
transaction). Each gateway process reads the stream as one consumer of the group and settles an
entry (acknowledges and deletes it) once its send succeeded or was given up. A send that failed
stays pending and is tried again after a growing pause; entries left pending by a process that
stopped are claimed by a live one (XAUTOCLAIM) once idle for ``retry_seconds``. Every entry
carries a dedup id (one per recipient and change): a marker under that id lets one copy be sent,
however many copies were queued or claimed at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Awaitable, Callable, Optional

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline
from redis.exceptions import RedisError, ResponseError

logger = logging.getLogger("notifications.queue")
STREAM = "hamyar:notices"
GROUP = "deliverers"
PREFIX = "hamyar:notice:"
SENDING, SENT = "sending", "sent"
# Longer than any one send may take (a bridge's callback tries for up to about 45 s): after it,
# a copy whose sender died mid-send may be tried again.
SENDING_TTL = 300
# How long a sent notice is remembered: longer than any agency or operator retries.
DEDUP_TTL = 14 * 24 * 3600
BATCH = 50

Fields = dict[str, str]


@dataclass(frozen=True)
class Kind:
    """How one kind of entry is sent, and what else settling it records (a job's progress)."""

    send: Callable[[Fields], Awaitable[bool]]
    settle: Optional[Callable[[Pipeline, Fields, bool], None]] = None


def notice(conversation_id: str, reply: str, values: dict[str, str], dedup: str, **extra: str) -> Fields:
    """An entry that says ``reply`` of bot/replies.yml to one conversation."""
    return {
        "kind": "notice",
        "conversation": conversation_id,
        "reply": reply,
        "values": json.dumps(values, ensure_ascii=False),
        "dedup": dedup,
        **extra,
    }


class NoticeQueue:
    def __init__(
        self,
        redis: aioredis.Redis,
        retry_seconds: float = 30.0,
        max_attempts: int = 10,
        max_pause_seconds: float = 3600.0,
        concurrency: int = 8,
    ) -> None:
        self._redis = redis
        self._retry = retry_seconds
        self._max_attempts = max_attempts
        self._max_pause = max_pause_seconds
        # Sends at once: a bridge that times out must not hold up everyone else's notices.
        self._concurrency = concurrency
        self._cursor = "0-0"

    async def add(self, entries: list[Fields], pipe: Optional[Pipeline] = None) -> int:
        """Queue entries all together (one transaction), or on ``pipe`` for the caller to run."""
        if not entries:
            return 0
        if pipe is not None:
            for entry in entries:
                pipe.xadd(STREAM, entry)
            return len(entries)
        async with self._redis.pipeline(transaction=True) as own:
            for entry in entries:
                own.xadd(STREAM, entry)
            await own.execute()
        return len(entries)

    async def ensure_group(self) -> None:
        try:
            # From the stream's start: entries queued before any reader existed are read too.
            await self._redis.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    async def serve(self, kinds: dict[str, Kind], stop: asyncio.Event, consumer: Optional[str] = None) -> None:
        """Deliver until ``stop`` is set: an entry being sent is finished first."""
        consumer = consumer or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        # Under redis-py's 5 s socket timeout, which the shared client keeps.
        block_ms = int(min(max(self._retry, 0.05), 4.0) * 1000)
        ready = False
        while not stop.is_set():
            try:
                if not ready:
                    await self.ensure_group()
                    ready = True
                await self._handle_all(kinds, await self._claim(consumer), stop)
                await self._handle_all(kinds, await _unless_stopped(self._read(consumer, block_ms), stop) or [], stop)
            except Exception as error:  # Redis is down, or a bug: keep going, without spinning
                if "NOGROUP" in str(error):
                    ready = False  # the stream was deleted: make it again
                logger.warning("notice queue unavailable error=%s", type(error).__name__)
                await _unless_stopped(asyncio.sleep(1), stop)
        await self._leave(consumer)

    async def _claim(self, consumer: str) -> list[tuple[str, Optional[Fields]]]:
        """Pending entries idle for ``retry_seconds`` (failed sends, or a stopped process's)."""
        result = await self._redis.xautoclaim(
            STREAM, GROUP, consumer, int(self._retry * 1000), start_id=self._cursor, count=BATCH
        )
        self._cursor = result[0] if result[0] else "0-0"
        return list(result[1])

    async def _read(self, consumer: str, block_ms: int) -> list[tuple[str, Fields]]:
        result = await self._redis.xreadgroup(GROUP, consumer, {STREAM: ">"}, count=BATCH, block=block_ms)
        return [item for _, items in result or [] for item in items]

    async def _handle_all(self, kinds: dict[str, Kind], entries: list[tuple[str, Optional[Fields]]], stop: asyncio.Event) -> None:
        """Entries side by side, but one conversation's in their order."""
        lines: dict[str, list[tuple[str, Optional[Fields]]]] = {}
        for entry_id, fields in entries:
            lines.setdefault((fields or {}).get("conversation") or entry_id, []).append((entry_id, fields))
        slots = asyncio.Semaphore(self._concurrency)

        async def run(line: list[tuple[str, Optional[Fields]]]) -> None:
            async with slots:
                for entry_id, fields in line:
                    if stop.is_set():
                        return  # left pending: claimed again later, here or by another process
                    await self._handle(kinds, entry_id, fields)

        results = await asyncio.gather(*(run(line) for line in lines.values()), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _handle(self, kinds: dict[str, Kind], entry_id: str, fields: Optional[Fields]) -> None:
        tries_key = f"{PREFIX}tries:{entry_id}"
        if fields is None:  # deleted while pending (older Redis reports it so)
            await self._settle(entry_id, tries_key)
            return
        kind = kinds.get(fields.get("kind", ""))
        if kind is None:
            logger.error("notice of unknown kind dropped entry=%s", entry_id)
            await self._settle(entry_id, tries_key)
            return
        tries = await self._redis.hgetall(tries_key)
        if tries and time.time() < float(tries.get("next_at", 0)):
            return  # pausing after a failure
        marker = f"{PREFIX}sent:{fields['dedup']}" if fields.get("dedup") else None
        if marker is not None and not await self._redis.set(marker, SENDING, nx=True, ex=SENDING_TTL):
            if await self._redis.get(marker) == SENT:
                await self._settle(entry_id, tries_key)  # a copy of it was sent already
            return  # another process is sending it now: look again later
        try:
            ok = await kind.send(fields)
        except asyncio.CancelledError:
            raise  # the marker stays until SENDING_TTL: the send may have gone out
        except Exception as error:  # the exception's text may hold personal data: its type only
            logger.error("notice send raised kind=%s entry=%s error=%s", fields["kind"], entry_id, type(error).__name__)
            ok = False
        attempt = int(tries.get("count", 0)) + 1
        if ok or attempt >= self._max_attempts:
            await self._settle(entry_id, tries_key, marker, ok, kind, fields)
            if ok:
                logger.info("notice sent kind=%s entry=%s attempt=%d", fields["kind"], entry_id, attempt)
            else:
                logger.error("notice given up kind=%s entry=%s attempts=%d", fields["kind"], entry_id, attempt)
            return
        pause = min(self._retry * 2 ** (attempt - 1), self._max_pause)
        async with self._redis.pipeline(transaction=True) as pipe:
            if marker is not None:
                pipe.delete(marker)
            pipe.hset(tries_key, mapping={"count": attempt, "next_at": time.time() + pause})
            pipe.expire(tries_key, DEDUP_TTL)
            await pipe.execute()
        logger.warning(
            "notice not sent kind=%s entry=%s attempt=%d retry_in=%.1fs",
            fields["kind"],
            entry_id,
            attempt,
            max(pause, self._retry),
        )

    async def _settle(
        self,
        entry_id: str,
        tries_key: str,
        marker: Optional[str] = None,
        ok: bool = False,
        kind: Optional[Kind] = None,
        fields: Optional[Fields] = None,
    ) -> None:
        """Done with an entry: its marker, progress, acknowledgement and deletion in one go."""
        async with self._redis.pipeline(transaction=True) as pipe:
            if marker is not None:
                if ok:
                    pipe.set(marker, SENT, ex=DEDUP_TTL)
                else:
                    pipe.delete(marker)  # given up: the same change sent again may be tried anew
            if kind is not None and kind.settle is not None and fields is not None:
                kind.settle(pipe, fields, ok)
            pipe.xack(STREAM, GROUP, entry_id)
            pipe.xdel(STREAM, entry_id)
            pipe.delete(tries_key)
            await pipe.execute()

    async def _leave(self, consumer: str) -> None:
        """A stopping process leaves the group unless entries still wait on it (then another
        process claims them and the name goes with the next clean stop)."""
        try:
            if not await self._redis.xpending_range(STREAM, GROUP, min="-", max="+", count=1, consumername=consumer):
                await self._redis.xgroup_delconsumer(STREAM, GROUP, consumer)
        except RedisError:
            pass


async def _unless_stopped(work: Awaitable, stop: asyncio.Event):
    """``work``'s result, or None when ``stop`` is set first (then ``work`` is cancelled)."""
    task = asyncio.ensure_future(work)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        task.cancel()
        raise
    finally:
        stopper.cancel()
    if task.done():
        return task.result()
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    return None
