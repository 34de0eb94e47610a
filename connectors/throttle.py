"""Inbound limits kept in Redis, so every gateway process counts against the same figures.

(connectors/ratelimit.py paces what the gateway sends to messengers; this refuses what comes in
too fast.) Each key is a leaky bucket (GCRA): ``count`` events may come at once, then one more
every ``seconds / count``. Unlike fixed windows it has no edge where twice the limit gets
through, and it keeps one number per key, with the Redis server's clock, in one round trip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import redis.asyncio as aioredis

# KEYS[1] bucket; ARGV: interval between events (ms), burst window (ms). Returns ms to wait, 0 if allowed.
_GCRA = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local interval = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local next_tat = tat + interval
if next_tat - now > window then
  return next_tat - now - window
end
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', string.format('%d', next_tat - now + 1))
return 0
"""


@dataclass(frozen=True)
class Limit:
    """At most ``count`` events in ``seconds`` for one key of ``scope`` (count 0: no limit)."""

    scope: str
    count: int
    seconds: int


class Throttle:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._script = redis.register_script(_GCRA)

    async def hit(self, limit: Limit, key: str) -> Optional[int]:
        """Count one event: None when it is allowed, else the seconds to wait (a refused event
        is not counted)."""
        if limit.count <= 0:
            return None
        window = limit.seconds * 1000
        wait = int(await self._script(keys=[f"hamyar:throttle:{limit.scope}:{key}"], args=[window // limit.count, window]))
        return math.ceil(wait / 1000) if wait > 0 else None
