"""Issue 20, item 4: failed checks lock the requester who made them, never the citizen they aim at;
many requesters aiming at one national id raise an alert."""

from __future__ import annotations

import re

import aiohttp
import pytest

from tests.integration.conftest import Chat

pytestmark = pytest.mark.integration

# The unemployment-insurance citizen of sandbox/data: used by no other security test.
OWNER = {"code": "7140507620381", "national_id": "1750890895", "phone": "09161000606"}
NOT_HIS_PHONE = "09131000202"


async def fail_five_times(chat) -> None:
    await chat.say(f"پرونده {OWNER['code']}")
    await chat.say(OWNER["national_id"])
    for _ in range(5):
        await chat.say(NOT_HIS_PHONE)


async def test_a_stranger_locks_only_themselves(stack):
    stranger = await Chat(stack).open()
    owner = await Chat(stack).open()
    try:
        await fail_five_times(stranger)
        assert "نمی‌توانم پرونده را نشان بدهم" in stranger.text()
        # The stranger stays locked, whatever id they try next.
        await stranger.say(f"پرونده {OWNER['code']}")
        await stranger.say(OWNER["national_id"])
        assert "نمی‌توانم پرونده را نشان بدهم" in stranger.text()
        # The owner, in a chat of their own, with their phone and code, gets in.
        await owner.say(f"پرونده {OWNER['code']}")
        await owner.say(OWNER["national_id"])
        await owner.say(OWNER["phone"])
        sms = await stack.last_sms(OWNER["phone"])
        await owner.say(re.search(r"\d{6}", sms).group(0))
        assert "وضعیت:" in owner.text()
    finally:
        await stranger.close()
        await owner.close()


async def test_many_requesters_aiming_at_one_id_raise_an_alert(stack):
    target = "0926064541"
    for _ in range(3):
        attacker = await Chat(stack).open()
        try:
            await attacker.say("پرونده 914050821406375")
            await attacker.say(target)
            await attacker.say(NOT_HIS_PHONE)
            assert "به نام صاحب این کد ملی ثبت نشده" in attacker.text()
        finally:
            await attacker.close()
    log = (stack.logs / "actions.log").read_text(errors="replace")
    assert "identity targeted" in log
    assert target not in log
    async with aiohttp.ClientSession() as session:
        async with session.get(
            f"{stack.actions}/metrics", headers={"X-Hamyar-Action-Token": stack.tokens["ACTION_SERVER_TOKEN"]}
        ) as r:
            assert r.status == 200
            figures = await r.text()
    assert re.search(r"^hamyar_identity_targeted_total [1-9]", figures, re.MULTILINE), figures
