"""The gateway's upkeep of the database, beside its work: case subscriptions written down and put
back when Redis lost them (desk/subscriptions.py), and the daily retention purge (desk/retention.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import AsyncIterator, Callable, Optional

import redis.asyncio as aioredis

from agencies.subscriptions import SubscriptionStore
from desk.retention import CHECK_SECONDS, keep_purging, purge_once
from desk.runtime import DeskRuntime
from desk.subscriptions import DurableSubscriptions

logger = logging.getLogger("desk.housekeeping")
# How soon a change to a subscription reaches the database.
WRITE_DOWN_SECONDS = 1.0


def housekeeping(
    runtime: DeskRuntime,
    redis: aioredis.Redis,
    store: SubscriptionStore,
    write_down_seconds: float = WRITE_DOWN_SECONDS,
    check_seconds: float = CHECK_SECONDS,
) -> Callable[[object], AsyncIterator[None]]:
    """An aiohttp cleanup context (after the desk's, which migrates the database). Subscriptions
    are kept durable only with ``HAMYAR_DATA_KEY`` (conversation ids are kept sealed); without it
    they stay in Redis alone, as before."""
    durable: Optional[DurableSubscriptions] = None
    if runtime.sealer is not None:
        durable = DurableSubscriptions(store, redis, runtime.sessions, runtime.sealer, runtime.now)
        store.restore = durable.restore  # a read that finds Redis emptied puts the copy back first
    else:
        logger.warning("case subscriptions are kept in Redis only: HAMYAR_DATA_KEY is not set")

    async def context(_app: object) -> AsyncIterator[None]:
        # Once at start-up, before the gateway serves (Redis may have lost the subscriptions while
        # it was down), then in the background.
        if durable is not None:
            await durable.catch_up()
        try:
            await purge_once(redis, runtime.sessions, runtime.now(), runtime.settings)
        except Exception as error:  # Redis is not up yet, say: the next look runs it
            logger.error("retention purge failed error=%s", type(error).__name__)
        tasks = [asyncio.create_task(keep_purging(redis, runtime.sessions, runtime.now, runtime.settings, check_seconds))]
        if durable is not None:
            tasks.append(asyncio.create_task(durable.keep(write_down_seconds)))
        yield
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if durable is not None:
            with contextlib.suppress(Exception):  # what is left is written by the next process
                await durable.write_down()

    return context
