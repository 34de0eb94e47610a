"""Hamyar's Rasa lock store: Rasa's Redis lock store, with a wait that cannot outlast its ticket.

Rasa 3.6 gives a conversation's turns tickets that expire after ``TICKET_LOCK_LIFETIME``, and
a turn waits (polling) until its ticket is the first one alive. When a Rasa server dies mid-turn,
its ticket stays until it expires. A turn retried on another server waits for that; but if its
own ticket, issued a moment after the dead one, expires before its next poll, Rasa's wait finds
nobody serving and its own ticket gone and goes on waiting for ever (seen in the topology test:
a retried turn timed out at the gateway). Here a waiting turn whose ticket has expired takes a
new one, and the poll is shorter, so a dead server holds a conversation for the lifetime only.
The gateway keeps a conversation's turns one at a time, so waits happen only after a crash.

Imported by Rasa, so it uses only what the Rasa environment has.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import AsyncGenerator, List, Text

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)
POLL_SECONDS = 0.2


class HamyarLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig) -> None:
        # Rasa builds a lock store of its own class from endpoints.yml as for ``type: redis``.
        super().__init__(host=endpoint_config.url, **endpoint_config.kwargs)

    @asynccontextmanager
    async def lock(
        self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = POLL_SECONDS
    ) -> AsyncGenerator[TicketLock, None]:
        """Rasa's ``lock``, with the ticket that is finally served given back (it may be a new one)."""
        held = [self.issue_ticket(conversation_id, lock_lifetime)]
        try:
            yield await self._wait(conversation_id, held, lock_lifetime, min(wait_time_in_seconds, POLL_SECONDS))
        finally:
            self.cleanup(conversation_id, held[0])

    async def _wait(self, conversation_id: Text, held: List[int], lifetime: float, poll: float) -> TicketLock:
        while True:
            lock = self.get_lock(conversation_id)
            if lock is None:
                # Rasa's own answer when the lock is gone (deleted while waiting).
                raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
            if not lock.is_locked(held[0]):
                return lock
            if all(alive.number != held[0] for alive in lock.tickets if not alive.has_expired()):
                # Expired while waiting: a new ticket, behind whoever is alive (none, usually).
                held[0] = self.issue_ticket(conversation_id, lifetime)
                logger.info("lock ticket renewed while waiting")
                continue
            await asyncio.sleep(poll)
            self.update_lock(conversation_id)
