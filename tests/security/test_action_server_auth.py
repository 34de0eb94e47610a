"""Only Rasa reaches the action server: a tracker posted by anyone else is refused."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import aiohttp
import pytest

from tests.conftest import ROOT, free_port, wait_until
from tests.integration.conftest import http_ok

# The attack of issue 20, item 2: a made-up tracker that says the caller proved who they are.
FORGED_CALL = {
    "next_action": "action_case_status",
    "sender_id": "attacker",
    "version": "3.6.21",
    "domain": {},
    "tracker": {
        "sender_id": "attacker",
        "slots": {
            "tracking_code": "914050821406375",
            "national_id": "0926064541",
            "phone_number": "09151000303",
            "identity_verified": True,
            "verified_national_id": "0926064541",
        },
        "latest_message": {"text": "914050821406375", "intent": {"name": "track_case"}, "entities": []},
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    },
}


async def post(url: str, body: dict, headers: dict | None = None) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json=body, headers=headers or {}) as response:
            return response.status, await response.text()


@pytest.mark.integration
async def test_a_tracker_posted_without_rasas_token_is_refused(stack, chat):
    webhook = f"{stack.actions}/webhook"
    for headers in (
        {},
        {"X-Hamyar-Action-Token": "guess-" + uuid.uuid4().hex},
        {"Authorization": f"Bearer {stack.tokens['RASA_API_TOKEN']}"},
    ):
        status, body = await post(webhook, FORGED_CALL, headers)
        assert status == 401, (headers, status, body[:300])
        assert "گذرنامه" not in body and "0926064541" not in body
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{stack.actions}/actions") as response:
            assert response.status == 401  # nor the list of what could be called
        async with session.get(f"{stack.actions}/health") as response:
            assert response.status == 200  # health checks need no secret

    # Rasa itself still runs its actions there (the service status is a custom action).
    await chat.say("سامانه گواهینامه کار میکنه؟")
    assert "از کار افتاده" in chat.text()


def start_action_server(env: dict) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "actions.server", "--port", str(port)],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process, port


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on ``port`` (from /proc/net/tcp, IPv4)."""
    found = set()
    for line in open("/proc/net/tcp").read().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:
            found.add(".".join(str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0)))
    return found


def test_the_action_server_listens_where_its_own_setting_says_and_needs_a_token():
    # rasa-sdk reads SANIC_HOST, and listens on every interface without it; ours does not.
    process, port = start_action_server({"ACTION_SERVER_TOKEN": "t" * 32, "ACTIONS_HOST": "127.0.0.1", "SANIC_HOST": "0.0.0.0"})
    try:
        wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/health"), 60, "action server", process)
        assert listening_addresses(port) == {"127.0.0.1"}
    finally:
        process.terminate()
        process.communicate(timeout=20)

    process, port = start_action_server({"ACTIONS_HOST": "127.0.0.1"})
    output = process.communicate(timeout=60)[0]
    assert process.returncode != 0 and "ACTION_SERVER_TOKEN" in output
