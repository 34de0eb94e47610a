"""Run in the Rasa environment by test_lock_store.py against the session's redis-server (its URL
in ``WORKDIR/redis_url``): a turn waits for a conversation's lock that a Rasa server which died
mid-turn still holds, as Rasa's Redis lock store and as Hamyar's. Prints «RESULT » and JSON."""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List
from urllib.parse import urlparse

LIFETIME = 1.0  # seconds a ticket lives (TICKET_LOCK_LIFETIME)
GIVE_UP = 6.0  # a wait this long is a wait for ever


def stores(url: str) -> Dict[str, Any]:
    from rasa.core.lock_store import RedisLockStore
    from rasa.utils.endpoints import EndpointConfig

    from bot.lock_store import HamyarLockStore

    parts = urlparse(url)
    settings = dict(port=parts.port, db=3, password=parts.password, key_prefix="locktest")
    return {
        "stock": RedisLockStore(host=parts.hostname, **settings),
        "hamyar": HamyarLockStore(EndpointConfig(url=parts.hostname, type="bot.lock_store.HamyarLockStore", **settings)),
    }


async def wait_after_a_dead_holder(store: Any, waiter_ticket_later: float) -> Dict[str, Any]:
    """A dead server's ticket, then (``waiter_ticket_later`` s after) a waiting turn's: how long the
    turn waited for the lock, or None when it was still waiting after GIVE_UP seconds."""
    conversation = uuid.uuid4().hex
    store.issue_ticket(conversation, LIFETIME)  # the turn in the server that died; never cleaned up
    await asyncio.sleep(waiter_ticket_later)
    began = time.monotonic()

    async def turn() -> float:
        async with store.lock(conversation, lock_lifetime=LIFETIME):
            return time.monotonic() - began

    try:
        waited = await asyncio.wait_for(turn(), GIVE_UP)
    except asyncio.TimeoutError:
        return {"waited": None, "lock_left": store.get_lock(conversation) is not None}
    return {"waited": waited, "lock_left": store.get_lock(conversation) is not None}


async def counted_turn(store: Any) -> int:
    """Redis commands one uncontended turn sends, from taking the lock to giving it back."""
    sent: List[Any] = []
    send = store.red.execute_command

    def counted(*args: Any, **kwargs: Any) -> Any:
        sent.append(args[0])
        return send(*args, **kwargs)

    store.red.execute_command = counted
    try:
        async with store.lock(uuid.uuid4().hex, lock_lifetime=LIFETIME):
            pass
    finally:
        store.red.execute_command = send
    return len(sent)


async def one_at_a_time(url: str) -> Dict[str, Any]:
    """Six turns of one conversation through two stores (two Rasa servers), all at once: each
    runs alone, in the order its ticket was issued."""
    first, second = stores(url)["hamyar"], stores(url)["hamyar"]
    conversation = uuid.uuid4().hex
    inside: List[int] = []
    overlaps = 0
    started: List[int] = []

    async def turn(number: int, store: Any) -> None:
        nonlocal overlaps
        async with store.lock(conversation, lock_lifetime=5.0):
            started.append(number)
            inside.append(number)
            overlaps += len(inside) > 1
            await asyncio.sleep(0.02)  # the turn's work, during which the others must wait
            inside.remove(number)

    turns = []
    for number in range(6):
        turns.append(asyncio.ensure_future(turn(number, first if number % 2 else second)))
        await asyncio.sleep(0)  # each takes its ticket before the next is created
    await asyncio.gather(*turns)
    return {"started": started, "overlaps": overlaps, "lock_left": first.get_lock(conversation) is not None}


async def checks(url: str) -> Dict[str, Any]:
    results: Dict[str, Any] = {}
    for name, store in stores(url).items():
        # The waiting turn's ticket a moment after the dead one: both expire between two of Rasa's
        # one-second polls, when its wait goes on for ever.
        results[name] = [await wait_after_a_dead_holder(store, 0.05) for _ in range(3)]
        results[f"{name}_round_trips"] = await counted_turn(store)
    results["one_at_a_time"] = await one_at_a_time(url)
    return results


if __name__ == "__main__":
    url = (Path(sys.argv[1]) / "redis_url").read_text().strip()
    print("RESULT " + json.dumps(asyncio.run(checks(url))))
