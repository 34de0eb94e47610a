"""One turn at a time per conversation, in arrival order, across every gateway process.

A conversation's lane is a Redis list of the turns waiting for it; the first holds it. Each entry
has a lease its process keeps renewing, so a process that dies (holding or waiting) is skipped
once its lease runs out instead of blocking the conversation. A turn that finds the lane empty
takes it in one round trip; a waiting one is woken by the turn before it (a list it blocks on),
and looks again every second in case that turn's process died.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import AsyncIterator

import redis.asyncio as aioredis

LEASE_MS = 10_000
RENEW_SECONDS = 3.0
# A waiting turn looks at the lane this often even when nobody wakes it (a holder that died).
POLL_SECONDS = 1.0
IDLE_MS = 3_600_000  # an abandoned lane's list is gone after an hour

# KEYS: lane, own lease. ARGV: token, lease ms, lease prefix. Renews the entry's lease, skips the
# dead at the head (no lease: their process died), and says whether the head is this entry.
_LOOK = """
redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
local head = redis.call('LINDEX', KEYS[1], 0)
while head and head ~= ARGV[1] and redis.call('EXISTS', ARGV[3] .. head) == 0 do
  redis.call('LPOP', KEYS[1])
  head = redis.call('LINDEX', KEYS[1], 0)
end
return head == ARGV[1] and 1 or 0
"""
# The same, after joining the lane's end (ARGV[4]: the lane's idle expiry, ms).
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
    async def turn(self, conversation_id: str) -> AsyncIterator[None]:
        """Hold the conversation's lane for the body; waits for the turns that came before."""
        token = uuid.uuid4().hex
        lane, lease_prefix, wake_prefix = self._keys(conversation_id)
        lease = lease_prefix + token
        renewing = asyncio.create_task(self._renew(lease))
        try:
            first = await self._join(keys=[lane, lease], args=[token, LEASE_MS, lease_prefix, IDLE_MS])
            while not first:
                await self._redis.blpop([wake_prefix + token], timeout=POLL_SECONDS)
                first = await self._look(keys=[lane, lease], args=[token, LEASE_MS, lease_prefix])
            yield
        finally:
            renewing.cancel()
            # Shielded: a cancelled turn still leaves its lane, or the next would wait out the lease.
            await asyncio.shield(self._leave(keys=[lane, lease], args=[token, wake_prefix]))

    async def _renew(self, lease: str) -> None:
        while True:
            await asyncio.sleep(RENEW_SECONDS)
            await self._redis.set(lease, "1", px=LEASE_MS)
