"""A case lookup whose form spans the tracker window's boundary (bot/tracker_store.py), on a Rasa
server of its own with a window of 30 events, beside the stack's (same Redis, actions, sandbox).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Iterator

import pytest
import redis

from scripts.readiness import HEALTH_PATHS, HEALTH_TIMEOUTS, http_ok, stop_all, wait_until
from tests.conftest import RASA_BIN, ROOT, free_port
from tests.integration.conftest import train_model
from tests.integration.test_conversations import MARYAM, persian
from tests.integration.test_rasa_channel import call

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def windowed_rasa(stack) -> Iterator[str]:
    """A second Rasa server, started as the stack's, reading sessions as windows of 30 events."""
    from scripts.processes import commands

    model = train_model()  # the stack's: already trained, or HAMYAR_TEST_MODEL
    port = free_port()
    command = commands(
        {"sandbox": 0, "actions": 0, "rasa": port}, sys.executable, str(Path(RASA_BIN).parent / "python"), str(model)
    )["rasa"]
    log = open(stack.logs / "rasa-window.log", "w")
    process = subprocess.Popen(
        command, cwd=ROOT, env={**stack.env, "TRACKER_WINDOW_EVENTS": "30"}, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: http_ok(url + HEALTH_PATHS["rasa"]), HEALTH_TIMEOUTS["rasa"], "windowed rasa", process)
        yield url
    finally:
        stop_all({"rasa-window": process})
        log.close()


async def say(stack, rasa: str, sender: str, text: str) -> str:
    """The bot's answer from the ``rasa`` server, called as the gateway calls it."""
    status, answer = await call(SimpleNamespace(rasa=rasa, tokens=stack.tokens), {"sender": sender, "text": text})
    assert status == 200, answer
    return "\n".join(message.get("text") or "" for message in answer["messages"])


async def test_a_form_across_the_window_boundary_completes(stack, windowed_rasa):
    sender = f"test:{uuid.uuid4().hex}"
    for _ in range(4):  # chat first: the session is longer than the window before the form starts
        assert await say(stack, windowed_rasa, sender, "سلام")
        assert await say(stack, windowed_rasa, sender, "ممنون")
    assert "کد ملی" in await say(stack, windowed_rasa, sender, f"وضعیت پرونده {MARYAM['code']}")
    for _ in range(3):  # asked again and again: the form alone is longer than the window
        assert "این کد ملی درست نیست" in await say(stack, windowed_rasa, sender, "0016383231")
    assert "موبایل" in await say(stack, windowed_rasa, sender, MARYAM["national_id"])
    assert "پیامکی" in await say(stack, windowed_rasa, sender, MARYAM["phone"])
    code = re.search(r"\d{6}", await stack.last_sms(MARYAM["phone"])).group(0)
    answer = await say(stack, windowed_rasa, sender, persian(code))
    assert "وضعیت: در حال بررسی" in answer and "قدم بعدی" in answer, answer

    tracker = stack.tracker(sender)  # the stack's own server reads the whole conversation
    slots = tracker["slots"]
    assert slots["tracking_code"] is None and slots["national_id"] is None and slots["requested_slot"] is None
    assert len(tracker["events"]) > 90, len(tracker["events"])
    # The window's restored slots were never stored; the windowed server kept marks to start from.
    assert not any((event.get("metadata") or {}).get("hamyar_window") for event in tracker["events"])
    store = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    assert store.llen(f"rasa:tracker-marks:{sender}") > 5
    assert json.loads(store.hget(f"rasa:tracker-meta:{sender}", "tail"))
