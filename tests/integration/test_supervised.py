"""`make run`'s supervision: the sandbox agency, the action server, Rasa and the gateway under
supervisord, configured by scripts/processes.py as `make run` configures them (Redis is the
session's). A process that dies is started again and the others keep serving; while the agency
is down, citizens get the kind answer and GET /health names the agency."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from scripts.processes import PORTS, counts_from, environment, programs, write_supervisord
from scripts.readiness import http_ok, wait_healthy, wait_until
from tests.conftest import RASA_BIN, RASA_ENV, ROOT, free_port
from tests.integration.conftest import Chat, Stack, train_model

pytestmark = pytest.mark.integration
BIN = Path(sys.executable).parent


@dataclass
class Supervised:
    stack: Stack
    config: Path
    supervisord: subprocess.Popen

    def ctl(self, *args: str) -> str:
        done = subprocess.run(
            [str(BIN / "supervisorctl"), "-c", str(self.config), *args], capture_output=True, text=True, timeout=30
        )
        return done.stdout

    def states(self) -> dict[str, tuple[str, int]]:
        """Each program's state and pid (0 when it has none), as supervisorctl reports them."""
        states = {}
        for line in self.ctl("status").splitlines():
            name, state, *rest = line.split()
            pid = int(rest[1].rstrip(",")) if state == "RUNNING" else 0
            states[name] = (state, pid)
        return states

    def health(self) -> tuple[int, dict]:
        try:
            with urllib.request.urlopen(f"{self.stack.gateway}/health", timeout=5) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)


@pytest.fixture(scope="module")
def supervised(redis_server: str, tokens: dict, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Supervised]:
    model = train_model()
    redis_url = redis_server.rsplit("/", 1)[0] + "/3"  # its own database
    ports = {name: free_port() for name in PORTS}
    run = tmp_path_factory.mktemp("supervised")
    listed = programs(ports, counts_from({}), sys.executable, str(Path(RASA_BIN).parent / "python"), str(model), redis=False)
    write_supervisord(listed, run)
    secrets = {
        **tokens,
        "SANDBOX_CONTROL_TOKEN": uuid.uuid4().hex,
        "ACTION_SERVER_TOKEN": uuid.uuid4().hex,
        "WEB_SESSION_SECRET": uuid.uuid4().hex,
        "HAMYAR_DATA_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
    }
    # As scripts/run.sh gives it: the secrets in supervisord's environment, which each process inherits.
    env = {**RASA_ENV, **secrets, "PYTHONUNBUFFERED": "1", **environment(ports, redis_url), "CASE_POLL_SECONDS": "0"}
    handle = open(run / "supervisord.out", "w")
    process = subprocess.Popen(
        [str(BIN / "supervisord"), "-c", str(run / "supervisord.conf")],
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    stack = Stack(
        f"http://127.0.0.1:{ports['gateway']}",
        f"http://127.0.0.1:{ports['rasa']}",
        f"http://127.0.0.1:{ports['sandbox']}",
        redis_url,
        secrets,
        run / "logs",
        actions=f"http://127.0.0.1:{ports['actions']}",
        env=env,
    )
    try:
        wait_healthy(ports, {name: process for name in ports})
        # And up for as long as supervisord wants before it counts them started (Rasa: 30 s).
        supervised = Supervised(stack, run / "supervisord.conf", process)
        wait_until(lambda: {state for state, _ in supervised.states().values()} == {"RUNNING"}, 60, "all RUNNING", process)
    except Exception as error:
        tails = "\n".join(f"--- {p.name}\n{stack.log_tail(p.name)}" for p in listed)
        process.terminate()
        process.wait(60)
        pytest.fail(f"{error}\n{tails}")
    yield supervised
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
    handle.close()


@pytest.fixture
async def citizen(supervised: Supervised):
    conversation = await Chat(supervised.stack).open()
    yield conversation
    await conversation.close()


def others_unchanged(before: dict[str, tuple[str, int]], after: dict[str, tuple[str, int]], but: str) -> list[str]:
    return [name for name in before if name != but and (after[name] != before[name] or after[name][0] != "RUNNING")]


async def test_while_the_agency_is_down_citizens_get_the_kind_answer(supervised, citizen):
    before = supervised.states()
    assert {state for state, _ in before.values()} == {"RUNNING"}, before
    supervised.ctl("stop", "sandbox")
    try:
        assert supervised.states()["sandbox"][0] == "STOPPED"
        wait_until(lambda: supervised.health()[1]["parts"]["agency-tamin"] == "down", 10, "health naming the agency")
        status, report = supervised.health()
        # The gateway still serves: a load balancer keeps sending it messages.
        assert (status, report["status"]) == (200, "degraded"), report
        assert {name for name, state in report["parts"].items() if state == "down"} == {
            f"agency-{name}" for name in ("tamin", "sabt", "police", "identity", "sms")
        }
        await citizen.say("سامانه مستمری بازنشستگی قطعه؟")
        assert "سامانه تأمین اجتماعی جواب نمی‌دهد" in citizen.text()
        assert not others_unchanged(before, supervised.states(), but="sandbox")
    finally:
        supervised.ctl("start", "sandbox")
    wait_until(lambda: supervised.health()[1]["status"] == "ok", 30, "every part up again")


async def test_a_killed_process_is_started_again_and_the_others_keep_serving(supervised, citizen):
    before = supervised.states()
    os.kill(before["sandbox"][1], signal.SIGKILL)
    # Started again by supervisord: a new process, running and answering.
    wait_until(
        lambda: (
            supervised.states()["sandbox"][1] not in (0, before["sandbox"][1]) and http_ok(f"{supervised.stack.sandbox}/health")
        ),
        30,
        "the sandbox started again",
    )
    assert not others_unchanged(before, supervised.states(), but="sandbox")
    await citizen.say("سامانه گواهینامه کار میکنه؟")
    assert "سامانه گواهینامه رانندگی الان از کار افتاده است" in citizen.text()  # the agency's own answer


def test_ctrl_c_stops_every_process(supervised):
    pids = [pid for _, pid in supervised.states().values()]
    assert len(pids) == 4 and all(pids)
    supervised.supervisord.send_signal(signal.SIGINT)  # what Ctrl-C sends `make run`'s supervisord
    assert supervised.supervisord.wait(60) == 0
    left = []
    for pid in pids:
        try:
            os.kill(pid, 0)
            left.append(pid)
        except ProcessLookupError:
            pass
    assert not left, f"still running: {left}"
