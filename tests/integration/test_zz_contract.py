"""The contract between the Rasa 3.6.21 server and the newer rasa-sdk action server.

Stands alone: it makes the real Rasa server run every custom action and form of the domain
itself (through Rasa's own ``execute`` API, each in a conversation of its own), and drives the
conversations whose logs it reads.
"""

from __future__ import annotations

import re
import uuid

import aiohttp
import pytest
import yaml

from tests.conftest import ROOT

pytestmark = pytest.mark.integration

FAILURES = ("Encountered an exception while running action", "Failed to run custom action", "Traceback")


def log_size(stack, name: str) -> int:
    path = stack.logs / f"{name}.log"
    return path.stat().st_size if path.exists() else 0


def log_since(stack, name: str, offset: int) -> str:
    with open(stack.logs / f"{name}.log", "rb") as log:
        log.seek(offset)
        return log.read().decode(errors="replace")


async def test_rasa_runs_every_action_and_form(stack):
    domain = yaml.safe_load((ROOT / "bot" / "domain.yml").read_text(encoding="utf-8"))
    names = [*domain["actions"], *domain["forms"]]
    before = {name: log_size(stack, name) for name in ("rasa", "actions")}
    params = {"token": stack.tokens["RASA_API_TOKEN"], "output_channel": "collector"}
    executed = set()
    async with aiohttp.ClientSession() as session:
        for name in names:
            conversation = f"test:{uuid.uuid4().hex}"
            # Rasa executes actions only in a conversation it knows: this writes one, started.
            started = [
                {"event": "action", "name": "action_session_start"},
                {"event": "session_started"},
                {"event": "action", "name": "action_listen"},
            ]
            events = f"{stack.rasa}/conversations/{conversation}/tracker/events"
            async with session.put(events, params={"token": params["token"]}, json=started) as response:
                assert response.status == 200, await response.text()
            async with session.post(
                f"{stack.rasa}/conversations/{conversation}/execute", params=params, json={"name": name}
            ) as response:
                body = await response.json()
                assert response.status == 200, (name, body)
            # The answer holds the tracker as it was before the action: read it again.
            executed |= {e.get("name") for e in stack.tracker(conversation)["events"] if e["event"] == "action"}
    assert not set(names) - executed, sorted(set(names) - executed)
    for process, offset in before.items():
        log = log_since(stack, process, offset)
        assert not [failure for failure in FAILURES if failure in log], log[-4000:]


async def test_logs_hold_no_personal_data_or_message_text(stack, chat):
    """A case looked up and questions typed: no process log names the citizen or repeats them."""
    secrets = ["7140508213457", "0016383230", "09121000101"]
    typed = ["سامانه گواهینامه کار میکنه", "چطوری پاسپورت بگیرم", "کارت ملی ام آماده نشده"]
    before = {name: log_size(stack, name) for name in ("gateway", "actions", "rasa", "sandbox")}
    await chat.say(f"پرونده {secrets[0]}")
    await chat.say(secrets[1])
    await chat.say(secrets[2])
    code = re.search(r"\d{6}", await stack.last_sms(secrets[2])).group(0)
    await chat.say(code)
    assert "وضعیت:" in chat.text()
    for question in typed:
        await chat.say(question)
    persian = [s.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) for s in secrets]
    for name, offset in before.items():
        assert stack.log_tail(name), f"{name} wrote no log at all"
        log = log_since(stack, name, offset)
        for value in secrets + persian + typed + [code]:
            assert value not in log, f"{name} log contains {value!r}"
