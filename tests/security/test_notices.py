"""Issue 20, item 11: a case change reaches each subscriber at least once and never twice.

A send that failed is tried again, also after the gateway restarts; the same change reported
again is not sent again; an agency callback is answered 200 only once the change is queued.
"""

from __future__ import annotations

import time
from urllib.parse import urlparse

import aiohttp
import pytest

from agencies.subscriptions import SubscriptionStore
from tests.security.notice_kit import MARYAM_CASE, POLICE_CASE, Bridge, Gateway, eventually, queue_drained

CHANGE = {"tracking_code": MARYAM_CASE, "status_text": "تأیید شد", "updated_at": "2026-12-06T10:00:00+03:30"}


@pytest.fixture
async def bridge():
    server = await Bridge().start()
    yield server
    await server.close()


async def test_a_callback_change_survives_a_failed_send_and_a_restart_and_comes_once(
    redis, redis_server, tmp_path, monkeypatch, bridge
):
    await SubscriptionStore(redis).subscribe("eitaa:c1", "tamin", MARYAM_CASE)
    gateway = await Gateway(redis_server, tmp_path, monkeypatch, bridge).start()
    try:
        bridge.failing = True
        status, _, _ = await gateway.agency_callback(CHANGE)
        assert status == 200  # taken: the agency need not send it again
        await bridge.wait_for(lambda posts: any(s == 503 for _, _, s in posts))

        await gateway.stop()  # the gateway goes down while the bridge is failing...
        bridge.failing = False
        await gateway.start()  # ...and the notice is still sent once it is back
        await bridge.wait_for(lambda posts: bridge.delivered("eitaa:c1", "تأیید شد") == 1)

        # The agency reports the same change again (signed anew): nobody hears it twice.
        status, _, _ = await gateway.agency_callback(CHANGE, now=time.time() + 1)
        assert status == 200
        # A later change, sent after it by the same queue, shows the repeat has been handled.
        await gateway.agency_callback({**CHANGE, "status_text": "پرداخت شد", "updated_at": "2026-12-07T10:00:00+03:30"})
        await bridge.wait_for(lambda posts: bridge.delivered("eitaa:c1", "پرداخت شد") == 1)
        await eventually(lambda: queue_drained(redis), what="queue drained")
        assert bridge.delivered("eitaa:c1", "تأیید شد") == 1
    finally:
        await gateway.stop()


async def test_a_polled_change_is_sent_again_after_the_send_failed(
    redis, redis_server, tmp_path, monkeypatch, bridge, sandbox, tokens
):
    base, _ = sandbox
    for name, value in {
        **tokens,
        "AGENCY_POLICE_URL": f"{base}/police",
        "AGENCY_TAMIN_URL": f"{base}/tamin",
        "AGENCY_SABT_URL": f"{base}/sabt",
        "IDENTITY_URL": f"{base}/identity",
        "SMS_URL": f"{base}/sms",
    }.items():
        monkeypatch.setenv(name, value)
    gateway = Gateway(redis_server, tmp_path, monkeypatch, bridge, case_poll_seconds=0.2)
    store = SubscriptionStore(redis)
    await store.subscribe("eitaa:c2", "police", POLICE_CASE)
    await store.watch("police", POLICE_CASE, "0016383230", "در حال بررسی")
    bridge.failing = True
    await gateway.start()
    try:
        async with aiohttp.ClientSession() as session:
            body = {"agency": "police", "tracking_code": POLICE_CASE, "status": "approved", "status_text": "گواهی صادر شد"}
            async with session.post(f"{base}/_control/case", json=body, headers={"X-Sandbox-Control": "control"}) as response:
                assert response.status == 200
        # The bridge's callback tries 4 times in a row; a fifth POST is the notice tried again.
        await bridge.wait_for(lambda posts: sum(1 for _, _, s in posts if s == 503) >= 5)
        bridge.failing = False
        await bridge.wait_for(lambda posts: bridge.delivered("eitaa:c2", "گواهی صادر شد") == 1)
        await eventually(lambda: queue_drained(redis), what="queue drained")
        assert bridge.delivered("eitaa:c2", "گواهی صادر شد") == 1
    finally:
        await gateway.stop()


async def test_a_callback_that_cannot_be_queued_is_answered_503_and_its_retry_is_taken(
    redis, redis_server, tmp_path, monkeypatch, bridge, caplog
):
    # A real Redis that refuses to queue (a user without XADD), as when it is out of memory.
    url = urlparse(redis_server)
    await redis.execute_command("ACL", "SETUSER", "noqueue", "on", ">noqueue-pw", "~*", "&*", "+@all", "-xadd")
    gateway = await Gateway(f"redis://noqueue:noqueue-pw@{url.hostname}:{url.port}/0", tmp_path, monkeypatch, bridge).start()
    try:
        await SubscriptionStore(redis).subscribe("web:w1", "tamin", MARYAM_CASE)
        status, answer, headers = await gateway.agency_callback(CHANGE)
        assert (status, answer) == (503, {"error": "not_queued"})
        assert "case change not queued agency=tamin" in caplog.text

        await redis.execute_command("ACL", "SETUSER", "noqueue", "+xadd")
        # The agency sends the very same request again: it is not taken for a replay.
        status, answer, _ = await gateway.agency_callback(CHANGE, headers=headers)
        assert (status, answer) == (200, {"queued": 1})
        await eventually(lambda: redis.xlen("hamyar:outbox:web:w1"), what="notice in the web chat")
        await eventually(lambda: queue_drained(redis), what="queue drained")
        assert await redis.xlen("hamyar:outbox:web:w1") == 1
    finally:
        await gateway.stop()
        await redis.execute_command("ACL", "DELUSER", "noqueue")
