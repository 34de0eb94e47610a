"""Issue 20, item 11: a signed request sent again unchanged within its 300 s window is refused.

A bridge or an agency that retries signs anew (a new timestamp); the very same signature twice
is someone replaying a request they saw, on the generic webhook and on agency callbacks alike.
"""

from __future__ import annotations

import json
import logging
import time

import pytest

from agencies.subscriptions import SubscriptionStore
from connectors.signing import signed_headers
from tests.security.notice_kit import EITAA_SECRET, MARYAM_CASE, Bridge, Gateway


@pytest.fixture
async def gateway(redis, redis_server, tmp_path, monkeypatch):
    bridge = await Bridge().start()
    server = await Gateway(redis_server, tmp_path, monkeypatch, bridge).start()
    yield server
    await server.stop()
    await bridge.close()


def refusals(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "gateway.signing" and r.levelno >= logging.WARNING]


async def test_a_replayed_generic_webhook_message_is_refused(gateway, caplog):
    body = json.dumps(
        {"message_id": "m-1", "user_id": "u-1", "chat_id": "c1", "text": "کد ملی من 0016383230 است"}, ensure_ascii=False
    ).encode()
    headers = signed_headers(EITAA_SECRET, body)
    status, _ = await gateway.post("/webhooks/generic/eitaa", body, headers)
    assert status == 200
    assert await gateway.post("/webhooks/generic/eitaa", body, headers) == (409, {"error": "replayed"})
    assert refusals(caplog) == ["signed request refused from=generic:eitaa reason=replayed"]  # no text, no ids
    # The bridge's own retry is signed anew and answered as before.
    status, _ = await gateway.post("/webhooks/generic/eitaa", body, signed_headers(EITAA_SECRET, body, now=time.time() + 1))
    assert status == 200


async def test_a_replayed_agency_callback_is_refused(gateway, redis, caplog):
    await SubscriptionStore(redis).subscribe("web:w1", "tamin", MARYAM_CASE)
    change = {"tracking_code": MARYAM_CASE, "status_text": "تأیید شد"}
    status, _, headers = await gateway.agency_callback(change)
    assert status == 200
    status, answer, _ = await gateway.agency_callback(change, headers=headers)
    assert (status, answer) == (409, {"error": "replayed"})
    assert refusals(caplog) == ["signed request refused from=agency:tamin reason=replayed"]
    # Signed anew, the agency's retry is taken (the queue keeps it from being told twice).
    status, _, _ = await gateway.agency_callback(change, now=time.time() + 1)
    assert status == 200
