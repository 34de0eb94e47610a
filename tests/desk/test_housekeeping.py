"""The gateway's upkeep of the database: the retention purge at start-up and daily, in one process
at a time, and subscriptions put back at start-up. Real Redis, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import redis.asyncio as aioredis
from sqlalchemy import select

from agencies.subscriptions import LOADED, SubscriptionStore
from desk.db import session_factory
from desk.desk_config import load_desk_config
from desk.housekeeping import housekeeping
from desk.models import CaseSubscription, Handoff, utcnow
from desk.retention import DAY_SECONDS, RAN, Purged, purge_once
from desk.runtime import DeskRuntime
from desk.subscriptions import DurableSubscriptions

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


async def back_dated(engine, sealer) -> None:
    """A handoff released 200 days ago, one still recent, and a subscription that expired."""
    async with session_factory(engine)() as session, session.begin():
        for name, days in (("old", 200), ("recent", 10)):
            session.add(
                Handoff(
                    conversation_id=f"web:{name}",
                    channel="web",
                    reason="request_human",
                    queued_at=NOW - timedelta(days=days + 1),
                    released_at=NOW - timedelta(days=days),
                )
            )
        session.add(
            CaseSubscription(
                conversation_digest=sealer.digests("web:old")[0],
                sealed_conversation=sealer.seal("web:old"),
                agency="tamin",
                tracking_code="7140508213457",
                subscribed_at=NOW - timedelta(days=91),
                expires_at=NOW - timedelta(days=1),
            )
        )


async def left(engine) -> list[str]:
    async with session_factory(engine)() as session:
        return list((await session.scalars(select(Handoff.conversation_id))).all())


async def test_the_purge_removes_back_dated_records_once_a_day(redis, engine, sealer, desk_settings) -> None:
    await back_dated(engine, sealer)
    sessions = session_factory(engine)
    assert await purge_once(redis, sessions, NOW, desk_settings) == Purged(
        handoffs=1, transcript_entries=0, callbacks=0, subscriptions=1, watched_cases=0
    )
    assert await left(engine) == ["web:recent"]
    assert DAY_SECONDS - 120 < await redis.ttl(RAN) < DAY_SECONDS  # the day's purge is done
    assert await purge_once(redis, sessions, NOW + timedelta(hours=1), desk_settings) is None


async def test_two_gateways_purging_at_once_run_it_once(redis, redis_server, engine, sealer, desk_settings) -> None:
    await back_dated(engine, sealer)
    other = aioredis.from_url(redis_server, decode_responses=True)
    try:
        results = await asyncio.gather(
            purge_once(redis, session_factory(engine), NOW, desk_settings),
            purge_once(other, session_factory(engine), NOW, desk_settings),
        )
    finally:
        await other.aclose()
    assert sorted(results, key=lambda r: r is None) == [Purged(1, 0, 0, 1, 0), None]


async def test_a_failed_purge_is_run_again_at_the_next_look(redis, engine, sealer, desk_settings) -> None:
    await back_dated(engine, sealer)
    sessions = session_factory(engine)
    async with engine.begin() as connection:  # the database goes away: its table, for this test
        await connection.exec_driver_sql("ALTER TABLE handoffs RENAME TO handoffs_away")
    try:
        await purge_once(redis, sessions, NOW, desk_settings)
    except Exception:
        pass
    else:
        raise AssertionError("the purge should have failed")
    assert not await redis.exists(RAN)
    async with engine.begin() as connection:
        await connection.exec_driver_sql("ALTER TABLE handoffs_away RENAME TO handoffs")
    assert (await purge_once(redis, sessions, NOW, desk_settings)) is not None


async def test_the_gateway_purges_and_puts_subscriptions_back_at_start_up(redis, engine, sealer, desk_settings) -> None:
    await back_dated(engine, sealer)
    actions = SubscriptionStore(redis, sealer)
    await actions.subscribe("web:maryam", "tamin", "7140508213457")
    store = SubscriptionStore(redis, sealer)
    await DurableSubscriptions(store, redis, session_factory(engine), sealer).write_down()
    await redis.flushdb()  # Redis lost its data while the gateway was down

    runtime = DeskRuntime(desk_settings, load_desk_config(), engine, session_factory(engine), sealer, None, clock=lambda: NOW)
    context = housekeeping(runtime, redis, store)(object())
    await context.__anext__()  # the gateway has started
    try:
        assert await left(engine) == ["web:recent"]
        assert await redis.exists(LOADED)
        assert await redis.smembers("hamyar:subs:case:tamin:7140508213457") == {"web:maryam"}
        await actions.unsubscribe("web:maryam")
    finally:
        try:
            await context.__anext__()  # stopping: what is pending is written down
        except StopAsyncIteration:
            pass
    async with session_factory(engine)() as session:
        assert (await session.scalars(select(CaseSubscription))).all() == []


async def test_without_a_data_key_subscriptions_stay_in_redis_only(redis, engine, desk_settings) -> None:
    runtime = DeskRuntime(desk_settings, load_desk_config(), engine, session_factory(engine), None, None, clock=utcnow)
    store = SubscriptionStore(redis)
    context = housekeeping(runtime, redis, store)(object())
    await context.__anext__()
    try:
        assert store.restore is None
        await store.subscribe("web:a", "tamin", "7140508213457")
        assert await store.case_subscribers("tamin", "7140508213457") == {"web:a"}
    finally:
        try:
            await context.__anext__()
        except StopAsyncIteration:
            pass
