"""Hamyar's Rasa lock store: a conversation's turns one at a time, in the order they came, in Redis,
with one round trip to take the lock and one to give it back.

Rasa 3.6's Redis lock store keeps a conversation's tickets as one JSON value and reads, changes
and writes it back about seven times a turn, on a synchronous client that holds up the whole
Rasa process while it waits. Here a conversation's tickets are a sorted set (ticket numbers, in
the order they were issued) beside a hash of their expiry times, and two Lua scripts do each
step atomically, on Redis's clock so that several Rasa servers agree.

Rasa's own semantics are kept: a ticket lives ``TICKET_LOCK_LIFETIME``; a turn runs when its
ticket is the oldest alive; a ticket whose server died expires, and the next one runs. A turn
whose own ticket expired while it waited (the dead server's went first) takes a new one instead
of waiting for ever, a Rasa 3.6 bug the topology test found. The gateway keeps a conversation's
turns one at a time, so waits happen only after a crash.

Imported by Rasa, so it uses only what the Rasa environment has.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from contextlib import asynccontextmanager
from typing import AsyncGenerator, Optional, Text, Tuple

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)
POLL_SECONDS = 0.05

# KEYS: tickets (sorted set: number -> number), expiries (hash: number -> ms, and "next").
# ARGV: lifetime in ms, the caller's ticket ("" for a new one). Drops expired tickets, keeps the
# caller's if alive or issues a new one, and answers {ticket, 1 if it is the oldest alive}.
_TAKE = """
local now_parts = redis.call('TIME')
local now = now_parts[1] * 1000 + math.floor(now_parts[2] / 1000)
local lifetime = tonumber(ARGV[1])
for _, number in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local expires = tonumber(redis.call('HGET', KEYS[2], number) or '0')
  if expires <= now then
    redis.call('ZREM', KEYS[1], number)
    redis.call('HDEL', KEYS[2], number)
  end
end
local ticket = ARGV[2]
if ticket == '' or not redis.call('ZSCORE', KEYS[1], ticket) then
  ticket = tostring(redis.call('HINCRBY', KEYS[2], 'next', 1))
  redis.call('ZADD', KEYS[1], tonumber(ticket), ticket)
  redis.call('HSET', KEYS[2], ticket, now + lifetime)
end
-- The keys outlive their last ticket a little, so a crashed conversation leaves nothing behind.
redis.call('PEXPIRE', KEYS[1], lifetime * 2 + 1000)
redis.call('PEXPIRE', KEYS[2], lifetime * 2 + 1000)
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
return {ticket, oldest == ticket and 1 or 0}
"""

# KEYS as above; ARGV: the ticket. Gives it back; the last one out removes the keys.
_GIVE_BACK = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
if redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[1], KEYS[2])
end
return 1
"""


class HamyarLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig) -> None:
        # Rasa builds a lock store of its own class from endpoints.yml as for ``type: redis``.
        super().__init__(host=endpoint_config.url, **endpoint_config.kwargs)
        self._take = self.red.register_script(_TAKE)
        self._give_back = self.red.register_script(_GIVE_BACK)

    def _keys(self, conversation_id: Text) -> Tuple[str, str]:
        key = self.key_prefix + "tickets:" + conversation_id
        return key, key + ":expiry"

    def _try(self, conversation_id: Text, lifetime: float, ticket: Optional[int]) -> Tuple[int, bool]:
        """The caller's ticket (a new one if it had none or it expired), and whether it may run."""
        number, first = self._take(
            keys=self._keys(conversation_id), args=[int(lifetime * 1000), "" if ticket is None else ticket]
        )
        return int(number), bool(first)

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """A new ticket at the back of the conversation's queue (Rasa's method, on this store's keys)."""
        return self._try(conversation_id, lock_lifetime, None)[0]

    def get_lock(self, conversation_id: Text) -> Optional[TicketLock]:
        """The conversation's live tickets as Rasa's ``TicketLock`` (for its API and the tests)."""
        tickets, expiries = self._keys(conversation_id)
        numbers = [int(n) for n in self.red.zrange(tickets, 0, -1)]
        if not numbers:
            return None
        times = self.red.hmget(expiries, numbers)
        alive = [Ticket(n, int(t) / 1000) for n, t in zip(numbers, times) if t is not None]
        return TicketLock(conversation_id, deque(alive))

    def delete_lock(self, conversation_id: Text) -> None:
        self.red.delete(*self._keys(conversation_id))

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        self._give_back(keys=self._keys(conversation_id), args=[ticket_number])

    @asynccontextmanager
    async def lock(
        self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = POLL_SECONDS
    ) -> AsyncGenerator[TicketLock, None]:
        """Waits until the turn's ticket is the oldest alive, then holds it until the turn ends."""
        ticket, first = self._try(conversation_id, lock_lifetime, None)
        poll = min(wait_time_in_seconds, POLL_SECONDS)
        try:
            while not first:
                await asyncio.sleep(poll)
                renewed, first = self._try(conversation_id, lock_lifetime, ticket)
                if renewed != ticket:
                    logger.info("lock ticket renewed while waiting")
                    ticket = renewed
            # What Rasa's callers get (none reads it): the held ticket, without another round trip.
            yield TicketLock(conversation_id, deque([Ticket(ticket, time.time() + lock_lifetime)]))
        finally:
            self.cleanup(conversation_id, ticket)
