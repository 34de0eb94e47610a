"""Waiting for a messenger chat's replies to have all gone out (connectors/sendqueue.py)."""

from __future__ import annotations

import asyncio
import time
from typing import Callable

import redis.asyncio as aioredis

from connectors.sendqueue import Keys


async def settled(redis_url: str, conversation: str, texts: Callable[[], list[str]], count: int, timeout: float) -> list[str]:
    """``texts()`` once it holds ``count`` and nothing more waits for the conversation: no turn in
    its lane, nothing queued, nobody sending."""
    keys = Keys.of(conversation)
    async with aioredis.from_url(redis_url, decode_responses=True) as redis:
        deadline = time.monotonic() + timeout
        while True:
            busy = await redis.exists(keys.queue, keys.lease, f"hamyar:lane:{conversation}")
            if len(texts()) >= count and not busy:
                return texts()
            assert time.monotonic() < deadline, f"not settled: {texts()}"
            await asyncio.sleep(0.05)
