"""Issue 20, item 9 (watched cases): the national id kept to poll an agency is sealed at rest
(``HAMYAR_DATA_KEY``, rotatable with ``HAMYAR_DATA_KEY_OLD``) and forgotten once the case closes."""

from __future__ import annotations

import json

import aiohttp
import pytest
from cryptography.fernet import Fernet

from agencies.client_cache import AgencyClients
from agencies.sealing import Sealer, SealingKeyMissing
from agencies.subscriptions import SubscriptionStore
from tests.security.notice_kit import POLICE_CASE

NATIONAL_ID = "0016383230"


async def everything_in(redis) -> str:
    """Every key and value in the database, as text."""
    found = []
    async for key in redis.scan_iter("*"):
        kind = await redis.type(key)
        value = {
            "string": redis.get,
            "set": redis.smembers,
            "hash": redis.hgetall,
            "list": lambda k: redis.lrange(k, 0, -1),
            "stream": redis.xrange,
            "zset": lambda k: redis.zrange(k, 0, -1),
        }[kind](key)
        found.append(f"{key} {await value}")
    return "\n".join(found)


async def test_a_watched_case_keeps_no_national_id_in_clear(redis, monkeypatch):
    monkeypatch.setenv("HAMYAR_DATA_KEY", Fernet.generate_key().decode())
    store = SubscriptionStore(redis)
    await store.subscribe("web:a", "police", POLICE_CASE)
    await store.watch("police", POLICE_CASE, NATIONAL_ID, "در حال بررسی")
    assert NATIONAL_ID not in await everything_in(redis)
    # The poller still gets it, opened in memory only.
    assert await store.watched() == [("police", POLICE_CASE, {"national_id": NATIONAL_ID, "status_text": "در حال بررسی"})]
    await store.seen("police", POLICE_CASE, {"national_id": NATIONAL_ID, "status_text": "در حال بررسی"}, "منتظر مدرک")
    assert NATIONAL_ID not in await everything_in(redis)


async def test_without_a_key_nothing_is_kept(redis, monkeypatch):
    monkeypatch.delenv("HAMYAR_DATA_KEY", raising=False)
    with pytest.raises(SealingKeyMissing, match="HAMYAR_DATA_KEY"):
        await SubscriptionStore(redis).watch("police", POLICE_CASE, NATIONAL_ID, "در حال بررسی")
    assert NATIONAL_ID not in await everything_in(redis)


async def test_a_key_can_be_rotated_and_old_clear_records_are_sealed(redis):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    await SubscriptionStore(redis, Sealer.from_env({"HAMYAR_DATA_KEY": old})).watch(
        "police", POLICE_CASE, NATIONAL_ID, "در حال بررسی"
    )
    # A record written in the clear before sealing existed.
    await redis.set(
        "hamyar:subs:watch:sabt:81405082140637", json.dumps({"national_id": "0926064541", "status_text": "x"}), ex=3600
    )

    rotated = SubscriptionStore(redis, Sealer.from_env({"HAMYAR_DATA_KEY": new, "HAMYAR_DATA_KEY_OLD": old}))
    watched = sorted(await rotated.watched())
    assert [(a, c, r["national_id"]) for a, c, r in watched] == [
        ("police", POLICE_CASE, NATIONAL_ID),
        ("sabt", "81405082140637", "0926064541"),
    ]
    assert "0926064541" not in await everything_in(redis)
    await rotated.seen("police", POLICE_CASE, watched[0][2], "منتظر مدرک")  # sealed again, under the new key
    only_new = SubscriptionStore(redis, Sealer.from_env({"HAMYAR_DATA_KEY": new}))
    assert {r["national_id"] for _, _, r in await only_new.watched()} == {NATIONAL_ID, "0926064541"}


async def test_a_closed_case_is_no_longer_watched_and_its_national_id_is_forgotten(redis, sandbox):
    from notifications.poller import CasePoller
    from notifications.queue import NoticeQueue

    base, catalog = sandbox
    store = SubscriptionStore(redis, Sealer(Fernet.generate_key().decode()))
    await store.subscribe("web:a", "police", POLICE_CASE)
    await store.watch("police", POLICE_CASE, NATIONAL_ID, "در حال بررسی")
    async with aiohttp.ClientSession() as session:
        body = {"agency": "police", "tracking_code": POLICE_CASE, "status": "completed", "status_text": "گواهی تحویل شد"}
        async with session.post(f"{base}/_control/case", json=body, headers={"X-Sandbox-Control": "control"}) as response:
            assert response.status == 200

    class Catalog:  # the sandbox's catalogue, as the gateway's CatalogFile gives it
        def get(self):
            return catalog

    clients = AgencyClients(Catalog())
    try:
        poller = CasePoller(store, clients, NoticeQueue(redis), 300)
        assert await poller.check_once() == 1
    finally:
        await clients.close()
    assert await redis.xlen("hamyar:notices") == 1  # the citizen is still told
    assert await store.watched() == []
    assert not [key async for key in redis.scan_iter("hamyar:subs:watch:*")]
