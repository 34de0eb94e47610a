"""Case changes reach the citizens who asked for them; operators' notices reach everyone."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import aiohttp
import pytest
import redis.asyncio as aioredis

from connectors.signing import signed_headers
from tests.integration.test_conversations import MARYAM, look_up_verified

pytestmark = pytest.mark.integration


async def agency_callback(stack, agency: str, body: dict, secret: str | None = None) -> tuple[int, dict]:
    raw = json.dumps(body, ensure_ascii=False).encode()
    secret = secret if secret is not None else stack.tokens[f"AGENCY_{agency.upper()}_CALLBACK_SECRET"]
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{stack.gateway}/webhooks/agency/{agency}/case-updates", data=raw, headers=signed_headers(secret, raw)
        ) as r:
            return r.status, await r.json()


async def test_subscribe_then_hear_of_the_change(chat, stack):
    await look_up_verified(chat)
    await chat.click("خبرم کن")
    assert "هر وقت وضعیت این پرونده تغییر کند" in chat.text()
    status, report = await agency_callback(stack, "tamin", {"tracking_code": MARYAM["code"], "status_text": "تأیید شد"})
    assert status == 200 and report["queued"] >= 1
    pushed = await chat._events(1)
    assert "خبر تازه درباره پرونده شما با کد ۷۱۴۰۵۰۸۲۱۳۴۵۷: تأیید شد" in pushed[0]["text"]
    assert "پیگیری پرونده" in [b["title"] for b in pushed[0]["buttons"]]


async def test_stop_hearing_from_a_notice_and_nothing_more_comes(chat, stack):
    await look_up_verified(chat)
    await chat.click("خبرم کن")
    assert "«دیگر خبر نده»" in chat.text()
    await agency_callback(stack, "tamin", {"tracking_code": MARYAM["code"], "status_text": "در دست بررسی"})
    chat.last = await chat._events(1)
    await chat.click("دیگر خبر نده")
    assert "دیگر خبر پرونده‌ها و اطلاعیه‌های همیار را برایتان نمی‌فرستم" in chat.text()
    # Not the previous test's body: within the same second that would be the same signature, a replay.
    status, _ = await agency_callback(stack, "tamin", {"tracking_code": MARYAM["code"], "status_text": "پرداخت شد"})
    assert status == 200
    # The next thing this chat hears is the answer to its next message, not the change.
    await chat.say("دیگه خبرم نکن")
    assert "چیزی برای قطع کردن نیست" in chat.text()


async def test_stopping_the_news_inside_a_form_keeps_the_form_going(chat):
    await chat.say(f"پرونده {MARYAM['code']}")
    await chat.say("دیگه خبرم نکن")
    assert "چیزی برای قطع کردن نیست" in chat.text() and "کد ملی" in chat.text()
    slots = chat.slots()
    assert slots["requested_slot"] == "national_id" and slots["national_id"] is None


async def test_subscribing_without_a_case(chat):
    await chat.say("خبرم کن")
    assert "اول باید پرونده‌ای را ببینیم" in chat.text()


async def test_agency_callbacks_are_checked(stack):
    body = {"tracking_code": MARYAM["code"], "status_text": "x"}
    assert (await agency_callback(stack, "tamin", body, secret="wrong"))[0] == 401
    assert (await agency_callback(stack, "sabt", body, secret="any"))[0] == 404  # no callback secret configured
    assert (await agency_callback(stack, "tamin", {"tracking_code": "914050821406375", "status_text": "x"}))[0] == 422
    assert (await agency_callback(stack, "tamin", {"tracking_code": "abc"}))[0] == 400


async def test_announcement_reaches_subscribers_and_channels(chat, stack, callbacks):
    await look_up_verified(chat)
    await chat.click("خبرم کن")
    url = f"{stack.gateway}/admin/announcements"
    text = "سامانه گذرنامه فردا از ساعت ۸ تا ۱۰ برای به‌روزرسانی در دسترس نیست."
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json={"text": text}) as response:
            assert response.status == 401
        before = len(callbacks.received)
        admin = {"Authorization": f"Bearer {stack.tokens['HAMYAR_ADMIN_TOKEN']}", "Idempotency-Key": uuid.uuid4().hex}
        async with session.post(url, json={"text": text}, headers=admin) as response:
            assert response.status == 202  # a job: sent in the background
            job = await response.json()
        pushed = await chat._events(1)
        report, deadline = job, time.monotonic() + 30
        while report["status"] != "done" and time.monotonic() < deadline:  # polled, as an operator would
            await asyncio.sleep(0.1)
            async with session.get(f"{url}/{job['id']}", headers=admin) as response:
                report = await response.json()
    assert report["subscribers"]["sent"] >= 1 and report["subscribers"]["failed"] == 0
    assert report["channels"] == [{"via": "eitaa", "chat_id": "hamyar_news", "state": "sent"}]
    assert pushed[0]["text"] == text and [b["title"] for b in pushed[0]["buttons"]] == ["دیگر خبر نده"]
    eitaa = [r for r in callbacks.wait_for(before + 1)[before:] if r[2].endswith("/eitaa-token/sendMessage")]
    from urllib.parse import parse_qs

    assert eitaa and parse_qs(eitaa[0][1].decode()) == {"chat_id": ["hamyar_news"], "text": [text]}


async def test_a_polled_agency_change_reaches_the_subscriber(chat, stack):
    police_case = "914050820398756"  # Maryam's clearance certificate, at an agency that is polled
    await look_up_verified(chat, {**MARYAM, "code": police_case})
    await chat.click("خبرم کن")
    assert "تا سه ماه" in chat.text()
    # The national id kept to ask the agency is sealed (HAMYAR_DATA_KEY), never in the clear.
    redis = aioredis.from_url(stack.redis_url, decode_responses=True)
    try:
        watched = await redis.get(f"hamyar:subs:watch:police:{police_case}")
    finally:
        await redis.aclose()
    assert watched and "sealed_national_id" in watched and MARYAM["national_id"] not in watched
    async with aiohttp.ClientSession() as session:
        body = {"agency": "police", "tracking_code": police_case, "status": "approved", "status_text": "گواهی صادر شد"}
        async with session.post(
            f"{stack.sandbox}/_control/case", json=body, headers={"X-Sandbox-Control": stack.tokens["SANDBOX_CONTROL_TOKEN"]}
        ) as r:
            assert r.status == 200
    pushed = await chat._events(1)  # the poller asks every second in the test stack
    assert "گواهی صادر شد" in pushed[0]["text"]
