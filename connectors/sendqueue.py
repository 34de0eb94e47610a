"""Messages to a messenger chat, sent in order and at the chat's pace by one sender at a time.

Every message for a chat (a turn's replies, a notice, an announcement) joins the chat's queue in
Redis, in the order the turns ended. Whichever gateway process holds the chat's lease sends the
queue's head, waits for the chat's pace (one message a second) showing "typing…" meanwhile, and
takes the next; a failure worth retrying keeps the message at the head, so nothing behind it
overtakes it. A process that stops hands its chats back; one that dies loses its lease after
``LEASE_MS`` and a sweep on any process picks its chats up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Mapping, Optional, Protocol

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline
from redis.exceptions import RedisError

from connectors.models import OutboundMessage
from nlu.logtag import conversation_tag

logger = logging.getLogger("gateway.sending")
PREFIX = "hamyar:send:"
ACTIVE = PREFIX + "active"  # chats with messages waiting, by when the last one joined
QUEUE_TTL_SECONDS = 24 * 3600
LEASE_MS = 30_000
SWEEP_SECONDS = 5.0
TYPING_SECONDS = 4.5  # a chat action shows for about five seconds, or until the next message
TYPING_MIN_MS = 250  # a shorter wait is not worth a request: nobody would see it
OUTCOME_TTL_MS = 120_000
# KEYS: this second's counter for the bot. ARGV: the bot's limit a second. 1 when the message may go.
_BOT_BUDGET = """
local sent = redis.call('INCR', KEYS[1])
if sent == 1 then redis.call('PEXPIRE', KEYS[1], 2000) end
return sent <= tonumber(ARGV[1]) and 1 or 0
"""


class SendFailure(Exception):
    """A message could not be sent. ``retry_after`` (seconds) when trying again may work (a 429,
    a network or server error); None when it never will (the bot is blocked, the chat is gone)."""

    def __init__(self, reason: str, retry_after: Optional[float] = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class ChatTransport(Protocol):
    """A channel's way to put one message, and "typing…", in a chat."""

    async def send_one(self, chat_id: str, message: OutboundMessage) -> None:
        """Sent, or SendFailure."""

    async def show_typing(self, chat_id: str) -> None: ...


@dataclass(frozen=True)
class Keys:
    queue: str
    lease: str
    pace: str

    @classmethod
    def of(cls, conversation_id: str) -> "Keys":
        base = PREFIX + conversation_id
        return cls(queue=base, lease=base + ":lease", pace=base + ":pace")


def _outcome_key(item_id: str) -> str:
    return f"{PREFIX}outcome:{item_id}"


# KEYS: queue, lease, pace. ARGV: token, the item, pace ms, lease ms, outcome ("sent"/"dropped"),
# the outcome's key or "" (nobody waits), its expiry ms. Takes the head off while the lease is ours;
# 0 when it is not.
_DONE = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
if redis.call('LINDEX', KEYS[1], 0) == ARGV[2] then redis.call('LPOP', KEYS[1]) end
redis.call('PEXPIRE', KEYS[2], ARGV[4])
if ARGV[5] == 'sent' then redis.call('SET', KEYS[3], '1', 'PX', ARGV[3]) end
if ARGV[6] ~= '' then
  redis.call('RPUSH', ARGV[6], ARGV[5])
  redis.call('PEXPIRE', ARGV[6], ARGV[7])
end
return 1
"""
# KEYS: queue, lease, active. ARGV: token, conversation. Gives the lease up only when nothing
# waits (1); otherwise keeps it (0), so a message that joined meanwhile is not left behind.
_RELEASE = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 1 end
if redis.call('LLEN', KEYS[1]) > 0 then return 0 end
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[2])
return 1
"""
# KEYS: lease. ARGV: token, lease ms.
_RENEW = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
"""
# KEYS: lease. ARGV: token.
_HAND_BACK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class ChatQueues:
    def __init__(
        self,
        redis: aioredis.Redis,
        pace_seconds: float = 1.0,
        patience_seconds: float = 3600.0,
        max_backoff_seconds: float = 30.0,
        sweep_seconds: float = SWEEP_SECONDS,
        bot_per_second: int = 30,
    ) -> None:
        self._redis = redis
        self._pace_ms = int(pace_seconds * 1000)
        self._patience = patience_seconds
        self._max_backoff = max_backoff_seconds
        self._sweep_seconds = sweep_seconds
        self._bot_per_second = bot_per_second
        self._bot_budget = redis.register_script(_BOT_BUDGET)
        self._transports: Mapping[str, ChatTransport] = {}
        self._draining: dict[str, asyncio.Task] = {}
        # Chats kicked while this process was sending to them: looked at again once it lets go.
        self._again: set[str] = set()
        self._stopping = asyncio.Event()
        self._sweeper: Optional[asyncio.Task] = None
        self._done = redis.register_script(_DONE)
        self._release = redis.register_script(_RELEASE)
        self._renew = redis.register_script(_RENEW)
        self._hand_back = redis.register_script(_HAND_BACK)

    # -- joining the queue --------------------------------------------------------------------

    def add(self, pipe: Pipeline, conversation_id: str, messages: list[OutboundMessage], wait: bool = False) -> list[str]:
        """Queue ``messages`` in ``pipe`` (the caller's transaction); their ids. ``kick`` once run."""
        keys = Keys.of(conversation_id)
        ids = [uuid.uuid4().hex for m in messages if m.text]
        items = [
            json.dumps({"id": i, "at": time.time(), "wait": wait, "message": m.model_dump(mode="json")}, ensure_ascii=False)
            for i, m in zip(ids, [m for m in messages if m.text])
        ]
        if not items:
            return []
        pipe.rpush(keys.queue, *items)
        pipe.expire(keys.queue, QUEUE_TTL_SECONDS)
        pipe.zadd(ACTIVE, {conversation_id: time.time()})
        return ids

    async def send(self, conversation_id: str, messages: list[OutboundMessage], timeout: float = 30.0) -> bool:
        """Queue and wait until each has gone out: False when one never will. A message still
        queued after ``timeout`` counts as accepted: the sender owns it now."""
        async with self._redis.pipeline(transaction=True) as pipe:
            ids = self.add(pipe, conversation_id, messages, wait=True)
            await pipe.execute()
        self.kick(conversation_id)
        deadline = time.monotonic() + timeout
        for item_id in ids:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            outcome = await self._redis.blpop([_outcome_key(item_id)], timeout=remaining)
            if outcome is None:
                return True
            if outcome[1] != "sent":
                return False
        return True

    def kick(self, conversation_id: str) -> None:
        """Send what waits for the chat, unless this process is sending to it already (it will see
        it) or another is (its release sees it, atomically)."""
        if self._stopping.is_set():
            return  # it stays queued for another process, or this one's next start
        task = self._draining.get(conversation_id)
        if task is not None and not task.done():
            self._again.add(conversation_id)
            return
        task = self._draining[conversation_id] = asyncio.create_task(self._take(conversation_id))
        task.add_done_callback(lambda done: self._forget(conversation_id, done))

    def _forget(self, conversation_id: str, task: asyncio.Task) -> None:
        if self._draining.get(conversation_id) is task:
            del self._draining[conversation_id]

    # -- running ------------------------------------------------------------------------------

    async def start(self, transports: Mapping[str, ChatTransport]) -> None:
        """Send for these channels (by name, as in conversation ids); sweep for orphaned chats."""
        self._transports = transports
        self._stopping.clear()
        self._sweeper = asyncio.create_task(self._sweep())

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Finish the message being sent to each chat, hand the chats back, stop sweeping."""
        self._stopping.set()
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        tasks = [t for t in self._draining.values() if not t.done()]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace_seconds)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        self._draining.clear()

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(self._sweep_seconds)
            try:
                # Chats whose last message joined a while ago and may have lost their sender.
                since = time.time() - self._sweep_seconds
                stale = await self._redis.zrangebyscore(ACTIVE, "-inf", since, start=0, num=500)
            except RedisError as error:
                logger.warning("send sweep failed error=%s", type(error).__name__)
                continue
            for conversation_id in stale:
                self.kick(conversation_id)

    async def _take(self, conversation_id: str) -> None:
        keys = Keys.of(conversation_id)
        try:
            while not self._stopping.is_set():
                self._again.discard(conversation_id)
                token = uuid.uuid4().hex
                if not await self._redis.set(keys.lease, token, nx=True, px=LEASE_MS):
                    return  # another process sends to this chat; it sees what joined
                renewing = asyncio.create_task(self._keep(keys.lease, token))
                try:
                    await self._drain(conversation_id, keys, token)
                finally:
                    renewing.cancel()
                    if self._stopping.is_set():
                        await asyncio.shield(self._hand_back(keys=[keys.lease], args=[token]))
                if conversation_id not in self._again:
                    return
        except RedisError as error:
            # What waits stays queued: the sweep tries again.
            logger.error("sending stopped conversation=%s error=%s", conversation_tag(conversation_id), type(error).__name__)
        except Exception:
            logger.exception("sending failed conversation=%s", conversation_tag(conversation_id))

    async def _keep(self, lease: str, token: str) -> None:
        while True:
            await asyncio.sleep(LEASE_MS / 3000)
            await self._renew(keys=[lease], args=[token, LEASE_MS])

    async def _drain(self, conversation_id: str, keys: Keys, token: str) -> None:
        channel, _, chat_id = conversation_id.partition(":")
        transport = self._transports.get(channel)
        typing_until = 0.0
        attempts = 0
        while not self._stopping.is_set():
            raw = await self._redis.lindex(keys.queue, 0)
            if raw is None:
                if await self._release(keys=[keys.queue, keys.lease, ACTIVE], args=[token, conversation_id]):
                    return
                continue
            item = json.loads(raw)
            wait_ms = await self._redis.pttl(keys.pace)
            if wait_ms > 0 and transport is not None:
                if wait_ms >= TYPING_MIN_MS and time.monotonic() >= typing_until:
                    typing_until = time.monotonic() + TYPING_SECONDS
                    await self._typing(transport, chat_id, conversation_id)
                if await self._pause(wait_ms / 1000):
                    return
            outcome = await self._send(transport, chat_id, conversation_id, item, attempts)
            if isinstance(outcome, float):
                attempts += 1
                if await self._pause(outcome):
                    return
                continue
            attempts = 0
            if outcome == "sent":
                typing_until = 0.0  # a message ends "typing…"
            outcome_key = _outcome_key(item["id"]) if item.get("wait") else ""
            args = [token, raw, self._pace_ms, LEASE_MS, outcome, outcome_key, OUTCOME_TTL_MS]
            if not await self._done(keys=[keys.queue, keys.lease, keys.pace], args=args):
                return  # the lease went to another process: it sends from here on

    async def _pause(self, seconds: float) -> bool:
        """Wait out the pace or a backoff; True when the process is stopping meanwhile."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
        return self._stopping.is_set()

    async def _send(
        self, transport: Optional[ChatTransport], chat_id: str, conversation_id: str, item: dict, attempts: int
    ) -> str | float:
        """ "sent", "dropped", or how long to wait before trying again."""
        tag = conversation_tag(conversation_id)
        if transport is None:
            logger.error("no sender for conversation=%s: message dropped", tag)
            return "dropped"
        channel = conversation_id.partition(":")[0]
        try:
            await self._within_bot_limit(channel)
            await transport.send_one(chat_id, OutboundMessage.model_validate(item["message"]))
            return "sent"
        except SendFailure as failure:
            too_old = time.time() - float(item.get("at", 0)) > self._patience
            if failure.retry_after is None or too_old:
                logger.error("message dropped conversation=%s reason=%s", tag, failure)
                return "dropped"
            delay = max(failure.retry_after, min(self._max_backoff, 0.5 * 2.0**attempts))
            logger.warning("send failed conversation=%s reason=%s retry_in=%.1fs", tag, failure, delay)
            return delay

    async def _within_bot_limit(self, channel: str) -> None:
        """Wait for a place among the bot's messages this second: a limit the bot has however many
        gateway processes send for it (Telegram: about 30 a second), so it is counted in Redis."""
        while not await self._bot_budget(keys=[f"{PREFIX}bot:{channel}:{int(time.time())}"], args=[self._bot_per_second]):
            await asyncio.sleep(1 - time.time() % 1)  # the next second's count

    async def _typing(self, transport: ChatTransport, chat_id: str, conversation_id: str) -> None:
        try:
            await transport.show_typing(chat_id)
        except SendFailure as failure:  # a nicety: the messages matter, not this
            logger.info("typing not shown conversation=%s reason=%s", conversation_tag(conversation_id), failure)
