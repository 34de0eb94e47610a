"""One turn at a time per conversation, in arrival order, across every gateway process.

A conversation's lane is a Redis list of the turns waiting for it; the first holds it. Each entry
has a lease its process keeps renewing, so a process that dies (holding or waiting) is skipped
once its lease runs out instead of blocking the conversation. A turn that finds the lane empty
takes it in one round trip; a waiting one is woken by the turn before it (a list it blocks on),
and looks again every second in case that turn's process died.

A turn may set a key of its own as it takes the lane (a ``Mark``: the router's duplicate check),
in the same round trip, and leave the lane inside the transaction that ends it (``Lane.leave_with``).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass
from typing import AsyncIterator, Optional

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

LEASE_MS = 10_000
RENEW_SECONDS = 3.0
# A waiting turn looks at the lane this often even when nobody wakes it (a holder that died).
POLL_SECONDS = 1.0
IDLE_MS = 3_600_000  # an abandoned lane's list is gone after an hour

# KEYS: lane, own lease[, mark]. ARGV: token, lease ms, lease prefix, idle ms[, mark value, mark
# ttl s]. Renews the entry's lease, skips the dead at the head (no lease: their process died), and
# says whether the head is this entry: {0}; {1} when it is; with a mark, {1, 1} when this turn set
# it, {1, 0, what it holds} when it was there already.
_LOOK = """
redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
local head = redis.call('LINDEX', KEYS[1], 0)
while head and head ~= ARGV[1] and redis.call('EXISTS', ARGV[3] .. head) == 0 do
  redis.call('LPOP', KEYS[1])
  head = redis.call('LINDEX', KEYS[1], 0)
end
if head ~= ARGV[1] then
  return {0}
end
if KEYS[3] then
  if redis.call('SET', KEYS[3], ARGV[5], 'NX', 'EX', ARGV[6]) then
    return {1, 1}
  end
  return {1, 0, redis.call('GET', KEYS[3])}
end
return {1}
"""
# The same, after joining the lane's end (ARGV[4]: the lane's idle expiry).
_JOIN = (
    """
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
"""
    + _LOOK
)
# KEYS: lane, own lease. ARGV: token, wake prefix. Leaves the lane, drops its own wake-up list
# (a wake that came as it took the lane) and wakes whoever is next.
_LEAVE = """
redis.call('LREM', KEYS[1], 1, ARGV[1])
redis.call('DEL', KEYS[2], ARGV[2] .. ARGV[1])
local head = redis.call('LINDEX', KEYS[1], 0)
if head then
  redis.call('RPUSH', ARGV[2] .. head, '1')
  redis.call('PEXPIRE', ARGV[2] .. head, 60000)
end
return 1
"""


@dataclass(frozen=True)
class Mark:
    """A key a turn sets (``SET key value NX EX ttl_seconds``) as it takes the lane."""

    key: str
    value: str
    ttl_seconds: int


class Lane:
    """A conversation's lane, held: whether the turn's mark was set, and how to leave."""

    def __init__(self, keys: list[str], args: list, renewing: asyncio.Task) -> None:
        self._keys = keys
        self._args = args
        self._renewing = renewing
        self.left = False
        # With a mark: True when this turn set it; else ``found`` is what its key held.
        self.marked = False
        self.found: Optional[str] = None

    def _took(self, answer: list) -> bool:
        if not answer[0]:
            return False
        self.marked = len(answer) > 1 and bool(answer[1])
        self.found = answer[2] if len(answer) > 2 else None
        return True

    async def leave_with(self, writes: Pipeline) -> list:
        """Run the caller's transaction with the lane left at its end: the turn's last round trip.
        If it fails, the lane is left on the way out as usual."""
        self._renewing.cancel()
        writes.eval(_LEAVE, len(self._keys), *self._keys, *self._args)
        answer = await writes.execute()
        self.left = True
        return answer


class Lanes:
    def __init__(self, redis: aioredis.Redis, prefix: str = "hamyar:lane:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._join = redis.register_script(_JOIN)
        self._look = redis.register_script(_LOOK)
        self._leave = redis.register_script(_LEAVE)

    def _keys(self, conversation_id: str) -> tuple[str, str, str]:
        """The lane, and the prefixes of its entries' leases and wake-up lists."""
        lane = self._prefix + conversation_id
        return lane, f"{lane}:lease:", f"{lane}:wake:"

    @contextlib.asynccontextmanager
    async def turn(self, conversation_id: str, mark: Optional[Mark] = None) -> AsyncIterator[Lane]:
        """Hold the conversation's lane for the body; waits for the turns that came before.
        ``mark`` is set as the lane is taken, in the same round trip."""
        token = uuid.uuid4().hex
        lane, lease_prefix, wake_prefix = self._keys(conversation_id)
        lease = lease_prefix + token
        keys = [lane, lease, *([mark.key] if mark else [])]
        args = [token, LEASE_MS, lease_prefix, IDLE_MS, *([mark.value, mark.ttl_seconds] if mark else [])]
        held = Lane([lane, lease], [token, wake_prefix], asyncio.create_task(self._renew(lease)))
        try:
            first = held._took(await self._join(keys=keys, args=args))
            while not first:
                await self._redis.blpop([wake_prefix + token], timeout=POLL_SECONDS)
                first = held._took(await self._look(keys=keys, args=args))
            yield held
        finally:
            held._renewing.cancel()
            if not held.left:
                # Shielded: a cancelled turn still leaves its lane, or the next would wait out the lease.
                await asyncio.shield(self._leave(keys=held._keys, args=held._args))

    async def _renew(self, lease: str) -> None:
        while True:
            await asyncio.sleep(RENEW_SECONDS)
            await self._redis.set(lease, "1", px=LEASE_MS)
