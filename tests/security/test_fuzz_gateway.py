"""Fuzzing the running gateway: generated bodies at every webhook, none answered 5xx, no unhandled
exception in its log, its memory bounded (tests/security/fuzz_gateway.py makes the bodies).

2,000 bodies in `make test`; `make fuzz` sends 100,000 (HAMYAR_FUZZ_BODIES) and prints the figures.
The gateway is a process of its own beside the integration stack (same Redis, Rasa, action
server and sandbox, same environment), with a Telegram-compatible messenger and Rubika switched
on against their local fakes, so that every door is open.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from typing import AsyncIterator

import pytest
from aiohttp.test_utils import TestServer

from tests.conftest import ROOT, free_port, wait_until
from tests.fakes.bot_api import FakeBotApi
from tests.fakes.rubika_api import FakeRubikaApi
from tests.integration.conftest import http_ok
from tests.security.fuzz_gateway import Doors, run

pytestmark = pytest.mark.integration
BODIES = int(os.environ.get("HAMYAR_FUZZ_BODIES", "2000"))
CONCURRENCY = int(os.environ.get("HAMYAR_FUZZ_CONCURRENCY", "32"))
# The share of bodies made for Rasa (valid text, phone or deep link); Rasa's pace bounds the run.
VALID_SHARE = float(os.environ.get("HAMYAR_FUZZ_VALID_SHARE", "0.01"))
# Growth allowed between the first and the last body. Bounded caches fill as new chats write
# (the per-chat send limiters keep 10,000 chats each; 100,000 bodies added 23 MB); a leak of a
# kilobyte a request would pass this within `make fuzz`.
RSS_GROWTH_MB = int(os.environ.get("HAMYAR_FUZZ_RSS_GROWTH_MB", "64"))
MESSENGER_SECRET, RUBIKA_SECRET = "fuzz-messenger-" + "m" * 16, "fuzz-rubika-" + "r" * 16


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[str, str]]:
    bot_api, rubika_api = TestServer(FakeBotApi().app(), host="127.0.0.1"), TestServer(FakeRubikaApi().app(), host="127.0.0.1")
    await bot_api.start_server()
    await rubika_api.start_server()
    yield str(bot_api.make_url("")).rstrip("/"), str(rubika_api.make_url("/v3")).rstrip("/")
    await bot_api.close()
    await rubika_api.close()


@pytest.fixture
async def fuzzed_gateway(stack, fakes, tmp_path) -> AsyncIterator[tuple[Doors, subprocess.Popen, object]]:
    bot_base, rubika_base = fakes
    port = free_port()
    env = {
        **stack.env,
        "GATEWAY_PORT": str(port),
        "PUBLIC_URL": "",
        "CASE_POLL_SECONDS": "0",  # the stack's gateway polls already
        "TELEGRAM_TOKEN": "123:FUZZ",
        "TELEGRAM_BASE_URL": f"{bot_base}/bot",
        "TELEGRAM_BASE_FILE_URL": f"{bot_base}/file/bot",
        "TELEGRAM_MODE": "webhook",
        "TELEGRAM_WEBHOOK_SECRET": MESSENGER_SECRET,
        "RUBIKA_TOKEN": "FUZZ",
        "RUBIKA_BASE_URL": rubika_base,
        "RUBIKA_WEBHOOK_SECRET": RUBIKA_SECRET,
    }
    log = tmp_path / "fuzzed-gateway.log"
    with open(log, "w") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "connectors.gateway"], cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        # In a thread: the fakes it calls at start run on this event loop.
        await asyncio.to_thread(wait_until, lambda: http_ok(f"{base}/health"), 60, "fuzzed gateway", process)
        doors = Doors(
            base=base,
            sms_secret=stack.env["GENERIC_SMS_SECRET"],
            eitaa_secret=stack.env["GENERIC_EITAA_SECRET"],
            messenger="telegram",
            messenger_secret=MESSENGER_SECRET,
            rubika_secret=RUBIKA_SECRET,
            agency="tamin",
            agency_secret=stack.env["AGENCY_TAMIN_CALLBACK_SECRET"],
        )
        yield doors, process, log
    except Exception:
        print(log.read_text(errors="replace")[-4000:])
        raise
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()


async def test_generated_bodies_get_no_5xx_and_no_unhandled_exception(fuzzed_gateway):
    doors, process, log = fuzzed_gateway
    report = await run(
        doors,
        BODIES,
        gateway_pid=process.pid,
        gateway_log=log,
        concurrency=CONCURRENCY,
        valid_share=VALID_SHARE,
        progress=(lambda line: print(line, flush=True)) if BODIES > 2000 else None,
    )
    print("\n" + report.text())
    assert report.bodies == BODIES
    assert report.server_errors == 0, report.text()
    assert not report.log_problems, report.text()
    assert process.poll() is None, "the gateway died"
    # The valid share reached Rasa and came back answered.
    assert report.valid > 0 and report.statuses[200] >= report.valid, report.text()
    assert report.rss_end_kb - report.rss_start_kb < RSS_GROWTH_MB * 1024, report.text()
