"""The handoff queue in Redis: citizens waiting for a person, one queue per agency, and who has whom.

An agency's queue is a sorted set of conversation ids scored by priority, then arrival, so the
highest priority comes first and, within it, whoever came first. Each conversation's details are
a hash beside it (``state`` waiting or active); the steps that must not interleave (joining,
taking, leaving, releasing) are Lua scripts, so two agents taking the same conversation cannot
both win. Messages a citizen sends while waiting are kept masked in a capped list for the desk,
with the original sealed (agencies/sealing.py) when masking hid something, for an audited reveal.

Every step that depends on time reads it from ``now`` when given, else from the queue's clock,
so tests move time instead of sleeping.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from typing import Callable, Optional

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

from agencies.sealing import Sealer
from desk.desk_config import DeskConfig
from nlu.identifiers import mask_numbers

PREFIX = "hamyar:desk:"
PREVIEW_CHARS = 120
_AGENCIES = PREFIX + "agencies"  # the agencies that have had a queue
# A pub/sub channel told (the step's name) whenever who waits, their preview or who has whom
# changes, so open desk pages refresh without asking again and again.
CHANGES = PREFIX + "changes"
# Score = arrival in ms minus priority × this (about 300 years of ms): priority first, then arrival.
_PRIORITY_STEP = 10**13

# KEYS: item, queue, agencies. ARGV: conversation id, score, agency, then the item's field/value
# pairs. Joins once: a conversation already waiting (or with an agent) is left as it is.
_ENQUEUE = """
local state = redis.call('HGET', KEYS[1], 'state')
if state then return state end
redis.call('HSET', KEYS[1], 'state', 'waiting', unpack(ARGV, 4))
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[3])
return 'new'
"""
# KEYS: item, the agent's active set, queue, the agency's serving agents. ARGV: conversation id,
# agent, capacity, now, agency. 1 taken, 0 agent at capacity, -1 taken already, -2 not waiting.
_TAKE = """
local item = redis.call('HMGET', KEYS[1], 'state', 'agency')
if item[1] == 'active' then return -1 end
if item[1] ~= 'waiting' or item[2] ~= ARGV[5] then return -2 end
if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('HSET', KEYS[1], 'state', 'active', 'agent', ARGV[2], 'taken_at', ARGV[4])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[2])
return 1
"""
# KEYS: item, queue, messages. ARGV: conversation id, agency. Leaves the queue while waiting.
_CANCEL = """
local item = redis.call('HMGET', KEYS[1], 'state', 'agency')
if item[1] ~= 'waiting' or item[2] ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[1], KEYS[3])
return 1
"""
# KEYS: item, the agent's active set, the agency's handling times, messages. ARGV: conversation
# id, agent, handling seconds, history kept. The messages kept, or nil when the agent had not it.
_RELEASE = """
local item = redis.call('HMGET', KEYS[1], 'state', 'agent')
if item[1] ~= 'active' or item[2] ~= ARGV[2] then return nil end
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('LPUSH', KEYS[3], ARGV[3])
redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[4]) - 1)
local kept = redis.call('LRANGE', KEYS[4], 0, -1)
redis.call('DEL', KEYS[1], KEYS[4])
return kept
"""
# KEYS: item, messages. ARGV: entry, preview, messages kept.
_APPEND = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[3]), -1)
redis.call('HSET', KEYS[1], 'preview', ARGV[2])
return 1
"""
# KEYS: item, the agent's active set, the new agency's queue, agencies. ARGV: conversation id,
# agent, new agency, score. Back to waiting, in another agency's queue; 1 done, 0 not the agent's.
_TO_AGENCY = """
local item = redis.call('HMGET', KEYS[1], 'state', 'agent')
if item[1] ~= 'active' or item[2] ~= ARGV[2] then return 0 end
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], 'state', 'waiting', 'agency', ARGV[3])
redis.call('HDEL', KEYS[1], 'agent', 'taken_at', 'alerted')
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[3])
return 1
"""
# KEYS: item, the giver's active set, the receiver's. ARGV: conversation id, giver, receiver,
# the receiver's capacity, now. 1 handed over, 0 receiver at capacity, -1 not the giver's.
_TO_AGENT = """
local item = redis.call('HMGET', KEYS[1], 'state', 'agent')
if item[1] ~= 'active' or item[2] ~= ARGV[2] then return -1 end
if redis.call('SCARD', KEYS[3]) >= tonumber(ARGV[4]) then return 0 end
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('HSET', KEYS[1], 'agent', ARGV[3], 'taken_at', ARGV[5])
return 1
"""
# KEYS: item. Marks a waiting item alerted; 1 the first time only.
_ALERT = """
if redis.call('HGET', KEYS[1], 'state') ~= 'waiting' then return 0 end
return redis.call('HSETNX', KEYS[1], 'alerted', '1')
"""


@dataclass(frozen=True)
class QueueItem:
    conversation_id: str
    channel: str
    agency: str
    # Why the conversation came to a person: request, misunderstood, complaint, rule...
    reason: str
    arrived_at: datetime
    priority: int = 0
    # The labels of the priority rules that applied (desk/priority.py): why the item is high.
    priority_reasons: tuple[str, ...] = ()
    # The citizen's last message; the queue masks and shortens it before keeping it.
    preview: str = ""


@dataclass(frozen=True)
class Position:
    # 1-based place in the agency's queue; 0 when an agent has the conversation already.
    place: int
    estimated_seconds: int


@dataclass(frozen=True)
class Waiting:
    item: QueueItem
    place: int
    waiting_seconds: int


@dataclass(frozen=True)
class Active:
    item: QueueItem
    agent_id: str
    taken_at: datetime


@dataclass(frozen=True)
class Status:
    """Where a conversation is at the desk: waiting, or active with an agent."""

    item: QueueItem
    state: str
    agent_id: Optional[str]
    taken_at: Optional[datetime]


@dataclass(frozen=True)
class WaitingMessage:
    text: str  # masked
    at: datetime
    # The original, sealed, when masking changed it (for a reveal the desk audits).
    sealed: Optional[str] = None


@dataclass(frozen=True)
class Handled:
    """A released conversation, for the durable handoff history."""

    item: QueueItem
    agent_id: str
    waited_seconds: float
    handling_seconds: float
    messages: tuple[WaitingMessage, ...]


class Transfer(Enum):
    DONE = "done"
    AT_CAPACITY = "at_capacity"
    NOT_YOURS = "not_yours"


_TO_AGENT_RESULTS = {1: Transfer.DONE, 0: Transfer.AT_CAPACITY, -1: Transfer.NOT_YOURS}


class Take(Enum):
    TAKEN = "taken"
    ALREADY_TAKEN = "already_taken"
    AT_CAPACITY = "at_capacity"
    NOT_WAITING = "not_waiting"


_TAKE_RESULTS = {1: Take.TAKEN, 0: Take.AT_CAPACITY, -1: Take.ALREADY_TAKEN, -2: Take.NOT_WAITING}


CONTACT_DAYS = 30  # contacts about one case are counted over this many days


def _key(kind: str, name: str) -> str:
    """Every key of the queue: queue:<agency>, item:<conversation>, messages:<conversation>,
    agent:<agent>, handling:<agency> (recent handling times), serving:<agency> (agents lately there)."""
    return f"{PREFIX}{kind}:{name}"


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _moment(seconds: str) -> datetime:
    return datetime.fromtimestamp(float(seconds), timezone.utc)


def _preview(text: str) -> str:
    masked = " ".join(mask_numbers(text).split())
    return masked if len(masked) <= PREVIEW_CHARS else masked[: PREVIEW_CHARS - 1] + "…"


def _item(fields: dict[str, str]) -> QueueItem:
    return QueueItem(
        conversation_id=fields["conversation_id"],
        channel=fields["channel"],
        agency=fields["agency"],
        reason=fields["reason"],
        arrived_at=_moment(fields["arrived_at"]),
        priority=int(fields["priority"]),
        priority_reasons=tuple(json.loads(fields["priority_reasons"])),
        preview=fields.get("preview", ""),
    )


def _message(entry: str) -> WaitingMessage:
    data = json.loads(entry)
    return WaitingMessage(text=data["text"], at=_moment(data["at"]), sealed=data.get("sealed"))


class HandoffQueue:
    def __init__(
        self,
        redis: aioredis.Redis,
        config: DeskConfig,
        clock: Callable[[], datetime] = _utc_now,
        sealer: Optional[Sealer] = None,
    ) -> None:
        self._redis = redis
        self._config = config
        self._clock = clock
        self._sealer = sealer
        self._enqueue = redis.register_script(_ENQUEUE)
        self._take = redis.register_script(_TAKE)
        self._cancel = redis.register_script(_CANCEL)
        self._release = redis.register_script(_RELEASE)
        self._append = redis.register_script(_APPEND)
        self._alert = redis.register_script(_ALERT)
        self._to_agency = redis.register_script(_TO_AGENCY)
        self._to_agent = redis.register_script(_TO_AGENT)

    def _now(self, now: Optional[datetime]) -> datetime:
        return now or self._clock()

    async def enqueue(self, item: QueueItem, now: Optional[datetime] = None) -> Position:
        """Join the agency's queue; a conversation already there keeps its place (returned)."""
        fields = {
            "conversation_id": item.conversation_id,
            "channel": item.channel,
            "agency": item.agency,
            "reason": item.reason,
            "priority": str(item.priority),
            "priority_reasons": json.dumps(list(item.priority_reasons), ensure_ascii=False),
            "preview": _preview(item.preview),
            "arrived_at": repr(item.arrived_at.timestamp()),
        }
        score = round(item.arrived_at.timestamp() * 1000) - item.priority * _PRIORITY_STEP
        joined = await self._enqueue(
            keys=[_key("item", item.conversation_id), _key("queue", item.agency), _AGENCIES],
            args=[item.conversation_id, score, item.agency, *(part for pair in fields.items() for part in pair)],
        )
        if joined == "new":
            await self._changed("enqueue")
        position = await self.position(item.conversation_id, now)
        # Gone between the two steps only if an agent took it at once (or it was cancelled).
        return position or Position(0, 0)

    async def contact_about(self, case_key: str) -> int:
        """Counts a contact about a case (``case_key``: a digest, never the code): how many there
        have been in the last CONTACT_DAYS days, this one included."""
        key = _key("contacts", case_key)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, CONTACT_DAYS * 86400, nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def position(self, conversation_id: str, now: Optional[datetime] = None) -> Optional[Position]:
        """The conversation's place and estimated wait; None when it is not in a queue."""
        return await self.position_of(conversation_id, await self._redis.hmget(*self._item_fields(conversation_id)), now)

    def item_in(self, pipe: Pipeline, conversation_id: str) -> None:
        """Asks, in the caller's pipeline, for what ``position_of`` reads."""
        pipe.hmget(*self._item_fields(conversation_id))

    @staticmethod
    def _item_fields(conversation_id: str) -> tuple[str, list[str]]:
        return _key("item", conversation_id), ["state", "agency"]

    async def position_of(
        self, conversation_id: str, item: list[Optional[str]], now: Optional[datetime] = None
    ) -> Optional[Position]:
        """``position``, from the item fields ``item_in`` asked for."""
        state, agency = item
        if state == "active":
            return Position(0, 0)
        if state != "waiting" or agency is None:
            return None
        rank = await self._redis.zrank(_key("queue", agency), conversation_id)
        if rank is None:
            return None
        return Position(rank + 1, await self.estimate(agency, rank + 1, now))

    async def estimate(self, agency: str, place: int, now: Optional[datetime] = None) -> int:
        """Seconds until the citizen at ``place`` is taken: the median recent handling time, times
        the place, shared among the agents serving the agency (the configured default without
        history)."""
        history = [float(seconds) for seconds in await self._redis.lrange(_key("handling", agency), 0, -1)]
        handling = statistics.median(history) if history else 60 * self._config.queue.default_handling_minutes
        return math.ceil(handling * place / await self.agents_serving(agency, now))

    async def agents_serving(self, agency: str, now: Optional[datetime] = None) -> int:
        """Agents who took from or looked at the agency's queue lately (at least one, for the estimate)."""
        since = self._now(now).timestamp() - self._config.queue.serving_seconds
        return max(1, await self._redis.zcount(_key("serving", agency), since, "+inf"))

    async def serve(self, agent_id: str, agencies: list[str], now: Optional[datetime] = None) -> None:
        """The agent is at the desk for these agencies (the desk calls this as it shows the queue)."""
        moment = self._now(now).timestamp()
        async with self._redis.pipeline(transaction=False) as pipe:
            for agency in agencies:
                pipe.zadd(_key("serving", agency), {agent_id: moment})
                pipe.zremrangebyscore(_key("serving", agency), "-inf", moment - self._config.queue.serving_seconds)
            await pipe.execute()

    async def cancel(self, conversation_id: str) -> bool:
        """The citizen went back to the bot («لغو»); False when they were not waiting."""
        agency = await self._redis.hget(_key("item", conversation_id), "agency")
        if agency is None:
            return False
        keys = [_key("item", conversation_id), _key("queue", agency), _key("messages", conversation_id)]
        return await self._changed_if("cancel", await self._cancel(keys=keys, args=[conversation_id, agency]))

    async def append_message(self, conversation_id: str, text: str, now: Optional[datetime] = None) -> bool:
        """Keep a message the citizen sent while in the queue (or with an agent) for the desk;
        False when the conversation is in neither."""
        masked = mask_numbers(text)
        entry: dict[str, object] = {"text": masked, "at": self._now(now).timestamp()}
        if masked != text:
            entry["sealed"] = self._sealing().seal(text)
        keys = [_key("item", conversation_id), _key("messages", conversation_id)]
        args = [json.dumps(entry, ensure_ascii=False), _preview(text), self._config.queue.messages_kept]
        return await self._changed_if("message", await self._append(keys=keys, args=args))

    async def messages(self, conversation_id: str) -> list[WaitingMessage]:
        return [_message(entry) for entry in await self._redis.lrange(_key("messages", conversation_id), 0, -1)]

    async def waiting(self, agency: Optional[str] = None, now: Optional[datetime] = None) -> list[Waiting]:
        """Who waits, highest priority then earliest first (over every agency when none is given)."""
        moment = self._now(now)
        agencies = [agency] if agency else sorted(await self._redis.smembers(_AGENCIES))
        found: list[Waiting] = []
        for name in agencies:
            ids = await self._redis.zrange(_key("queue", name), 0, -1)
            async with self._redis.pipeline(transaction=False) as pipe:
                for conversation_id in ids:
                    pipe.hgetall(_key("item", conversation_id))
                rows = await pipe.execute()
            items = [_item(row) for row in rows if row.get("state") == "waiting"]
            found += [
                Waiting(item, place, max(0, int((moment - item.arrived_at).total_seconds())))
                for place, item in enumerate(items, start=1)
            ]
        return sorted(found, key=lambda waiting: (-waiting.item.priority, waiting.item.arrived_at))

    async def take(self, conversation_id: str, agent_id: str, capacity: int, now: Optional[datetime] = None) -> Take:
        """The agent takes a waiting conversation: exactly one of agents racing for it wins, and
        none beyond their capacity of conversations at once."""
        agency = await self._redis.hget(_key("item", conversation_id), "agency")
        if agency is None:
            return Take.NOT_WAITING
        keys = [
            _key("item", conversation_id),
            _key("agent", agent_id),
            _key("queue", agency),
            _key("serving", agency),
        ]
        result = await self._take(keys=keys, args=[conversation_id, agent_id, capacity, repr(self._now(now).timestamp()), agency])
        await self._changed_if("take", int(result) == 1)
        return _TAKE_RESULTS[int(result)]

    async def active(self, agent_id: str) -> list[Active]:
        """The conversations the agent has, in the order taken."""
        ids = await self._redis.smembers(_key("agent", agent_id))
        async with self._redis.pipeline(transaction=False) as pipe:
            for conversation_id in sorted(ids):
                pipe.hgetall(_key("item", conversation_id))
            rows = await pipe.execute()
        found = [Active(_item(row), agent_id, _moment(row["taken_at"])) for row in rows if row.get("agent") == agent_id]
        return sorted(found, key=lambda active: active.taken_at)

    async def active_count(self) -> int:
        """Conversations with an agent now, over every agent: a scan, for the supervisor's view only."""
        sizes = [await self._redis.scard(key) async for key in self._redis.scan_iter(match=_key("agent", "*"), count=1000)]
        return sum(sizes)

    async def release(self, conversation_id: str, now: Optional[datetime] = None) -> Optional[Handled]:
        """The agent is done: the handling time joins the agency's history for the estimate. None
        when no agent had the conversation."""
        fields = await self._redis.hgetall(_key("item", conversation_id))
        if fields.get("state") != "active":
            return None
        item, agent_id, taken_at = _item(fields), fields["agent"], _moment(fields["taken_at"])
        handling = max(0.0, (self._now(now) - taken_at).total_seconds())
        keys = [
            _key("item", conversation_id),
            _key("agent", agent_id),
            _key("handling", item.agency),
            _key("messages", conversation_id),
        ]
        kept = await self._release(
            keys=keys, args=[conversation_id, agent_id, repr(handling), self._config.queue.handling_history]
        )
        if kept is None:  # released by another call in between
            return None
        await self._changed("release")
        waited = (taken_at - item.arrived_at).total_seconds()
        return Handled(item, agent_id, waited, handling, tuple(_message(entry) for entry in kept))

    async def past_limit(self, now: Optional[datetime] = None) -> list[Waiting]:
        """Citizens waiting past their agency's alert limit now, reported before or not."""
        return [
            waiting
            for waiting in await self.waiting(now=now)
            if waiting.waiting_seconds >= self._config.alert_after_seconds(waiting.item.agency)
        ]

    async def overdue(self, now: Optional[datetime] = None) -> list[Waiting]:
        """Citizens waiting past their agency's alert limit, each reported once (for a supervisor)."""
        reported = []
        for waiting in await self.past_limit(now):
            if await self._alert(keys=[_key("item", waiting.item.conversation_id)]):
                reported.append(waiting)
        return reported

    async def status(self, conversation_id: str) -> Optional[Status]:
        """The conversation's place at the desk; None when it is with the bot."""
        fields = await self._redis.hgetall(_key("item", conversation_id))
        if fields.get("state") not in ("waiting", "active"):
            return None
        taken_at = _moment(fields["taken_at"]) if fields.get("taken_at") else None
        return Status(_item(fields), fields["state"], fields.get("agent"), taken_at)

    async def to_agency(self, conversation_id: str, agent_id: str, agency: str) -> bool:
        """The agent sends the conversation back to waiting, in ``agency``'s queue, at the place its
        first arrival and priority give it; False when the agent does not have it."""
        status = await self.status(conversation_id)
        if status is None:
            return False
        item = status.item
        score = round(item.arrived_at.timestamp() * 1000) - item.priority * _PRIORITY_STEP
        keys = [_key("item", conversation_id), _key("agent", agent_id), _key("queue", agency), _AGENCIES]
        return await self._changed_if(
            "transfer", await self._to_agency(keys=keys, args=[conversation_id, agent_id, agency, score])
        )

    async def to_agent(
        self, conversation_id: str, agent_id: str, receiver_id: str, capacity: int, now: Optional[datetime] = None
    ) -> Transfer:
        """The agent hands the conversation to another agent, within the receiver's capacity."""
        keys = [_key("item", conversation_id), _key("agent", agent_id), _key("agent", receiver_id)]
        args = [conversation_id, agent_id, receiver_id, capacity, repr(self._now(now).timestamp())]
        result = _TO_AGENT_RESULTS[int(await self._to_agent(keys=keys, args=args))]
        await self._changed_if("transfer", result is Transfer.DONE)
        return result

    async def announce(self, step: str) -> None:
        """Tell open desk pages that something they show changed (a transcript, an alert)."""
        await self._changed(step)

    async def over_limit(self, agency: str) -> bool:
        """The queue has no room for one more (it holds its configured maximum): offer a call-back."""
        return await self._redis.zcard(_key("queue", agency)) >= self._config.max_waiting(agency)

    async def _changed(self, step: str) -> None:
        await self._redis.publish(CHANGES, step)

    async def _changed_if(self, step: str, changed: object) -> bool:
        if changed:
            await self._changed(step)
        return bool(changed)

    def _sealing(self) -> Sealer:
        if self._sealer is None:
            self._sealer = Sealer.from_env()
        return self._sealer
