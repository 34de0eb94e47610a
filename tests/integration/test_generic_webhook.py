"""Bridges through the signed generic webhook, end to end with the real assistant."""

from __future__ import annotations

import json
import time
import uuid

import aiohttp
import pytest

from connectors.signing import signed_headers, verify

pytestmark = pytest.mark.integration


class Bridge:
    def __init__(self, stack, source: str, chat_id: str | None = None) -> None:
        self.stack = stack
        self.source = source
        self.secret = stack.tokens[f"GENERIC_{source.upper()}_SECRET"]
        self.chat_id = chat_id or uuid.uuid4().hex[:12]
        self.user_id = "u-" + self.chat_id

    async def send(self, message_id: str | None = None, signed_at: float | None = None, **fields) -> dict:
        body = json.dumps(
            {"message_id": message_id or uuid.uuid4().hex, "user_id": self.user_id, "chat_id": self.chat_id, **fields}
        ).encode()
        headers = signed_headers(self.secret, body, now=signed_at)
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{self.stack.gateway}/webhooks/generic/{self.source}", data=body, headers=headers) as r:
                assert r.status == 200, await r.text()
                return await r.json()

    @staticmethod
    def text(answer: dict) -> str:
        return "\n".join(r["text"] for r in answer["replies"])


async def test_sms_answers_with_numbered_options(stack):
    sms = Bridge(stack, "sms")
    answer = await sms.send(text="سلام")
    text = Bridge.text(answer)
    assert "۲. وضعیت سامانه‌ها" in text and "عدد گزینه" in text
    assert all(r["buttons"] == [] for r in answer["replies"])
    answer = await sms.send(text="۲")
    assert "۳. پلیس +۱۰" in Bridge.text(answer)
    answer = await sms.send(text="3")
    assert "۱. گذرنامه" in Bridge.text(answer)
    answer = await sms.send(text="۱")
    assert "سامانه گذرنامه الان کار می‌کند" in Bridge.text(answer)


async def test_a_retried_message_gets_the_same_answer_once(stack):
    eitaa = Bridge(stack, "eitaa")
    first = await eitaa.send(message_id="retry-1", text="سامانه پاسپورت کار میکنه؟")
    # A bridge's retry is signed anew (the very same signature twice is refused as a replay).
    again = await eitaa.send(message_id="retry-1", signed_at=time.time() + 1, text="سامانه پاسپورت کار میکنه؟")
    assert again["duplicate"] is True and again["replies"] == first["replies"]
    events = stack.tracker(f"eitaa:{eitaa.chat_id}")["events"]
    assert sum(1 for e in events if e["event"] == "user") == 1


async def test_buttons_come_back_by_id_and_callbacks_are_signed(stack, callbacks):
    eitaa = Bridge(stack, "eitaa")
    before = len(callbacks.received)
    answer = await eitaa.send(text="منو")
    button = next(b for r in answer["replies"] for b in r["buttons"] if b["title"] == "وضعیت سامانه‌ها")
    answer = await eitaa.send(payload=button["id"])
    assert "وضعیت سامانه کدام سازمان" in Bridge.text(answer)
    headers, body, _ = callbacks.wait_for(before + 2)[before + 1]
    assert verify(eitaa.secret, headers["X-Hamyar-Timestamp"], headers["X-Hamyar-Signature"], body) is None
    assert json.loads(body)["replies"] == answer["replies"]


async def test_a_contact_is_trusted_only_when_it_is_the_senders_own(stack):
    bridge = Bridge(stack, "eitaa")
    await bridge.send(text="پرونده 7140508213457 چی شد")
    await bridge.send(text="0016383230")
    # A contact card forwarded from someone else is not the sender's: it is not used at all.
    someone_else = await bridge.send(contact={"phone": "09121000101", "user_id": "another-user"})
    assert "پیامی دریافت نشد" in Bridge.text(someone_else)
    own = await bridge.send(contact={"phone": "+989121000101", "user_id": bridge.user_id})
    assert "پیامکی" not in Bridge.text(own)
    assert "وضعیت: در حال بررسی" in Bridge.text(own)
