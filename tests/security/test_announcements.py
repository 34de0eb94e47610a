"""Issue 20, item 11: an announcement is a job made once per idempotency key, sent in the
background to each subscriber and channel once, with progress and a report to fetch."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import aiohttp
import pytest

from agencies.subscriptions import SubscriptionStore
from tests.conftest import ROOT
from tests.security.notice_kit import ADMIN_TOKEN, MARYAM_CASE, Bridge, Gateway, eventually, queue_drained

TEXT = "سامانه گذرنامه فردا از ساعت ۸ تا ۱۰ برای به‌روزرسانی در دسترس نیست."


@pytest.fixture
async def bridge():
    server = await Bridge().start()
    yield server
    await server.close()


@pytest.fixture
async def gateway(redis, redis_server, tmp_path, monkeypatch, bridge):
    store = SubscriptionStore(redis)
    for conversation in ("eitaa:a1", "eitaa:a2"):
        await store.subscribe(conversation, "tamin", MARYAM_CASE)
    server = await Gateway(redis_server, tmp_path, monkeypatch, bridge).start()
    yield server
    await server.stop()


def told(bridge: Bridge, text: str) -> dict:
    """How many times each recipient took the announcement."""
    counts: dict = {}
    for path, body, status in bridge.posts:
        if status != 200:
            continue
        if path == "eitaa" and body.get("text") == text:
            counts[f"channel:{body['chat_id']}"] = counts.get(f"channel:{body['chat_id']}", 0) + 1
        elif path == "hook" and any(r["text"] == text for r in body["replies"]):
            counts[body["conversation_id"]] = counts.get(body["conversation_id"], 0) + 1
    return counts


async def finished(gateway: Gateway, job_id: str) -> dict:
    async def done():
        status, report = await gateway.admin("GET", f"/admin/announcements/{job_id}")
        return report if status == 200 and report["status"] == "done" else None

    return await eventually(done, what="announcement done")


async def test_the_same_key_makes_one_job_and_each_recipient_hears_it_once(gateway, bridge, redis):
    first, second = await asyncio.gather(
        gateway.admin("POST", "/admin/announcements", {"text": TEXT}, key="outage-2026-12-07"),
        gateway.admin("POST", "/admin/announcements", {"text": TEXT}, key="outage-2026-12-07"),
    )
    assert sorted([first[0], second[0]]) == [200, 202]  # one made it, the other found it
    assert first[1]["id"] == second[1]["id"]
    again = await gateway.admin("POST", "/admin/announcements", {"text": TEXT}, key="outage-2026-12-07")
    assert again[0] == 200 and again[1]["id"] == first[1]["id"]

    report = await finished(gateway, first[1]["id"])
    assert report["subscribers"] == {"total": 2, "sent": 2, "failed": 0, "pending": 0}
    assert report["channels"] == [{"via": "eitaa", "chat_id": "hamyar_news", "state": "sent"}]
    await eventually(lambda: queue_drained(redis), what="queue drained")
    assert told(bridge, TEXT) == {"eitaa:a1": 1, "eitaa:a2": 1, "channel:hamyar_news": 1}

    # The key names that announcement: another text under it is a mistake, not a new job.
    assert (await gateway.admin("POST", "/admin/announcements", {"text": "متن دیگر"}, key="outage-2026-12-07"))[0] == 409
    assert (await gateway.admin("POST", "/admin/announcements", {"text": TEXT}))[1] == {"error": "idempotency_key_required"}


async def test_progress_shows_who_is_still_waiting(gateway, bridge):
    bridge.fails = lambda body: body.get("conversation_id") == "eitaa:a2"  # one bridge chat is down
    status, job = await gateway.admin("POST", "/admin/announcements", {"text": TEXT, "channels": False}, key="k-progress")
    assert status == 202 and job["status"] == "queued"

    async def one_sent_one_waiting():
        _, report = await gateway.admin("GET", f"/admin/announcements/{job['id']}")
        return report if report["subscribers"] == {"total": 2, "sent": 1, "failed": 0, "pending": 1} else None

    report = await eventually(one_sent_one_waiting, what="progress with one waiting")
    assert report["status"] == "sending" and report["channels"] == []
    await bridge.wait_for(lambda posts: any(body.get("conversation_id") == "eitaa:a2" and s == 503 for _, body, s in posts))
    bridge.fails = lambda body: False
    report = await finished(gateway, job["id"])
    assert report["subscribers"] == {"total": 2, "sent": 2, "failed": 0, "pending": 0}
    assert told(bridge, TEXT) == {"eitaa:a1": 1, "eitaa:a2": 1}


async def test_the_command_line_waits_for_the_report_and_a_rerun_sends_nothing_more(gateway, bridge):
    async def run_cli() -> tuple[int, dict]:
        env = {**os.environ, "HAMYAR_ADMIN_TOKEN": ADMIN_TOKEN, "GATEWAY_URL": gateway.url, "PYTHONPATH": str(ROOT)}
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "notifications.announcements",
            TEXT,
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, err.decode()
        return process.returncode, json.loads(out)

    _, report = await run_cli()
    assert report["status"] == "done" and report["subscribers"]["sent"] == 2
    _, rerun = await run_cli()  # the operator, unsure it went out, runs it again
    assert rerun["id"] == report["id"]
    assert told(bridge, TEXT) == {"eitaa:a1": 1, "eitaa:a2": 1, "channel:hamyar_news": 1}


async def test_reports_are_for_operators_only(gateway):
    status, job = await gateway.admin("POST", "/admin/announcements", {"text": TEXT}, key="k-auth")
    assert status == 202
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{gateway.url}/admin/announcements/{job['id']}", headers=headers) as response:
                assert response.status == 401
    assert (await gateway.admin("GET", "/admin/announcements/" + "0" * 32))[0] == 404
