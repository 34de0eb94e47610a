"""Case subscriptions, the announcement audience and watched cases survive losing Redis: the
database keeps them (desk/subscriptions.py) and gives them back. Real Redis, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone

from cryptography.fernet import Fernet
from sqlalchemy import func, select, text

from agencies.sealing import Sealer
from agencies.subscriptions import CHANGES, LOADED, TTL_SECONDS, SubscriptionStore
from desk.db import session_factory
from desk.models import AudienceMember, Base, CaseSubscription, WatchedCase
from desk.retention import purge
from desk.subscriptions import DurableSubscriptions
from notifications.agency_updates import queue_case_change
from notifications.queue import STREAM, NoticeQueue

TAMIN_CASE = "7140508213457"  # tamin: reports changes by callback
POLICE_CASE = "914050820398756"  # police: polled
MARYAM = "sms:09121234567"  # an SMS bridge's chat id is the citizen's phone
REZA = "telegram:5551234"
NATIONAL_ID = "0016383230"


def gateway(redis, engine, sealer: Sealer, clock=None) -> tuple[SubscriptionStore, DurableSubscriptions]:
    """A gateway process's store and its durable copy, as desk/housekeeping.py joins them."""
    store = SubscriptionStore(redis, sealer)
    durable = DurableSubscriptions(store, redis, session_factory(engine), sealer, *([clock] if clock else []))
    store.restore = durable.restore
    return store, durable


async def count(engine, model) -> int:
    async with session_factory(engine)() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_a_subscription_survives_losing_redis_and_a_case_change_still_reaches_the_citizen(redis, engine, sealer) -> None:
    actions = SubscriptionStore(redis, sealer)  # the action server's «خبرم کن», no database there
    await actions.subscribe(MARYAM, "tamin", TAMIN_CASE)
    await actions.subscribe(REZA, "tamin", TAMIN_CASE)
    _, durable = gateway(redis, engine, sealer)
    assert await durable.write_down() == 2
    assert await durable.write_down() == 0  # written once

    await redis.flushdb()
    store, _ = gateway(redis, engine, sealer)  # a gateway started again, on an empty Redis
    assert await store.case_subscribers("tamin", TAMIN_CASE) == {MARYAM, REZA}  # put back on the miss
    assert await redis.exists(LOADED)
    assert TTL_SECONDS - 60 < await redis.ttl(f"hamyar:subs:case:tamin:{TAMIN_CASE}") <= TTL_SECONDS

    assert await queue_case_change(NoticeQueue(redis), store, "tamin", TAMIN_CASE, "تأیید شد") == 2
    told = {fields["conversation"] for _, fields in await redis.xrange(STREAM)}
    assert told == {MARYAM, REZA}
    assert await store.follows(MARYAM, "tamin", TAMIN_CASE)


async def test_unsubscribing_is_durable_and_so_is_the_announcement_audience(redis, engine, sealer) -> None:
    actions = SubscriptionStore(redis, sealer)
    await actions.subscribe(MARYAM, "tamin", TAMIN_CASE)
    await actions.subscribe(REZA, "tamin", TAMIN_CASE)
    await actions.subscribe(REZA, "police", POLICE_CASE)
    _, durable = gateway(redis, engine, sealer)
    await durable.write_down()
    assert await actions.unsubscribe(MARYAM)  # «دیگر خبر نده»
    assert await durable.write_down() == 1

    await redis.flushdb()
    store, _ = gateway(redis, engine, sealer)
    assert await store.everyone() == {REZA}  # the audience an announcement goes to
    assert await store.case_subscribers("tamin", TAMIN_CASE) == {REZA}
    assert not await store.follows(MARYAM, "tamin", TAMIN_CASE)
    assert await store.case_subscribers("police", POLICE_CASE) == {REZA}


async def test_an_unsubscribe_redis_never_saw_still_reaches_the_database(redis, engine, sealer) -> None:
    """Redis lost the subscription and nobody read it back yet: «دیگر خبر نده» must still hold."""
    actions = SubscriptionStore(redis, sealer)
    await actions.subscribe(MARYAM, "tamin", TAMIN_CASE)
    _, durable = gateway(redis, engine, sealer)
    await durable.write_down()
    await redis.flushdb()
    await actions.unsubscribe(MARYAM)

    store, _ = gateway(redis, engine, sealer)
    assert await store.everyone() == set()  # the restore writes the pending change down first
    assert await store.case_subscribers("tamin", TAMIN_CASE) == set()
    assert await count(engine, CaseSubscription) == 0 and await count(engine, AudienceMember) == 0


async def test_a_watched_case_is_kept_until_it_is_unwatched(redis, engine, sealer) -> None:
    actions = SubscriptionStore(redis, sealer)
    await actions.subscribe(MARYAM, "police", POLICE_CASE)
    await actions.watch("police", POLICE_CASE, NATIONAL_ID, "در حال بررسی")
    store, durable = gateway(redis, engine, sealer)
    await store.seen("police", POLICE_CASE, {"national_id": NATIONAL_ID}, "منتظر مدرک")  # the poller, in the gateway
    await durable.write_down()

    await redis.flushdb()
    store, durable = gateway(redis, engine, sealer)
    assert await store.watched() == [("police", POLICE_CASE, {"national_id": NATIONAL_ID, "status_text": "منتظر مدرک"})]
    await store.unwatch("police", POLICE_CASE)  # the case closed
    await durable.write_down()
    assert await count(engine, WatchedCase) == 0


async def test_nothing_personal_is_kept_in_the_clear(redis, engine, sealer) -> None:
    actions = SubscriptionStore(redis, sealer)
    await actions.subscribe(MARYAM, "police", POLICE_CASE)
    await actions.watch("police", POLICE_CASE, NATIONAL_ID, "در حال بررسی")
    await gateway(redis, engine, sealer)[1].write_down()
    async with engine.connect() as connection:
        rows = [
            str(row)
            for table in ("case_subscriptions", "announcement_audience", "watched_cases")
            for row in (await connection.execute(text(f"SELECT * FROM {table}"))).all()
        ]
    assert len(rows) == 3
    dumped = "\n".join(rows)
    assert "09121234567" not in dumped and NATIONAL_ID not in dumped and POLICE_CASE in dumped


async def test_subscriptions_from_before_the_database_copy_are_written_down_at_the_first_start(redis, engine, sealer) -> None:
    actions = SubscriptionStore(redis, sealer)
    await actions.subscribe(MARYAM, "police", POLICE_CASE)
    await actions.watch("police", POLICE_CASE, NATIONAL_ID, "در حال بررسی")
    await redis.delete(CHANGES)  # as an older Hamyar left them: in Redis alone
    assert await gateway(redis, engine, sealer)[1].restore()
    assert await count(engine, CaseSubscription) == 1 and await count(engine, WatchedCase) == 1

    await redis.flushdb()
    store, _ = gateway(redis, engine, sealer)
    assert await store.case_subscribers("police", POLICE_CASE) == {MARYAM}
    assert [record["national_id"] for _, _, record in await store.watched()] == [NATIONAL_ID]


async def test_expired_subscriptions_are_not_put_back_and_the_purge_deletes_them(redis, engine, sealer) -> None:
    long_ago = time.time() - TTL_SECONDS - 3600
    await SubscriptionStore(redis, sealer, clock=lambda: long_ago).subscribe(MARYAM, "tamin", TAMIN_CASE)
    await SubscriptionStore(redis, sealer).subscribe(REZA, "tamin", TAMIN_CASE)
    await gateway(redis, engine, sealer)[1].write_down()

    await redis.flushdb()
    store, _ = gateway(redis, engine, sealer)
    assert await store.case_subscribers("tamin", TAMIN_CASE) == {REZA}
    async with session_factory(engine)() as session, session.begin():
        purged = await purge(session, datetime.now(timezone.utc))
    assert purged.subscriptions == 1
    assert await count(engine, CaseSubscription) == 1


async def test_two_gateways_write_each_change_down_once_in_order(redis, redis_server, engine, sealer) -> None:
    import redis.asyncio as aioredis

    actions = SubscriptionStore(redis, sealer)
    for number in range(30):
        await actions.subscribe(f"web:{number}", "tamin", TAMIN_CASE)
    await actions.unsubscribe("web:7")
    await actions.subscribe("web:7", "police", POLICE_CASE)  # after the unsubscribe: kept
    other = aioredis.from_url(redis_server, decode_responses=True)
    try:
        written = await asyncio.gather(
            gateway(redis, engine, sealer)[1].write_down(), gateway(other, engine, sealer)[1].write_down()
        )
    finally:
        await other.aclose()
    assert sum(written) == 32
    async with session_factory(engine)() as session:
        kept = (await session.scalars(select(CaseSubscription))).all()
    assert len(kept) == 30
    assert {(sealer.open(s.sealed_conversation), s.agency) for s in kept if s.agency == "police"} == {("web:7", "police")}


async def test_records_under_a_rotated_key_are_still_found(redis, engine) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    before = Sealer(old)
    await SubscriptionStore(redis, before).subscribe(MARYAM, "tamin", TAMIN_CASE)
    await gateway(redis, engine, before)[1].write_down()

    rotated = Sealer(new, (old,))
    actions = SubscriptionStore(redis, rotated)
    await actions.subscribe(MARYAM, "tamin", TAMIN_CASE)  # again: one record, sealed anew
    await gateway(redis, engine, rotated)[1].write_down()
    assert await count(engine, CaseSubscription) == 1 and await count(engine, AudienceMember) == 1
    await actions.unsubscribe(MARYAM)
    await gateway(redis, engine, rotated)[1].write_down()
    assert await count(engine, CaseSubscription) == 0 and await count(engine, AudienceMember) == 0


def test_the_new_tables_are_models() -> None:
    assert {"case_subscriptions", "announcement_audience", "watched_cases"} <= set(Base.metadata.tables)
