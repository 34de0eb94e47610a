"""The whole assistant for integration tests: a trained model and every process, on free ports.

Training happens once per session (and not at all when the model's fingerprint is current).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

import aiohttp
import pytest

from scripts.readiness import http_ok, stop_all, wait_healthy  # noqa: F401 - http_ok: tests/security import it from here
from tests.conftest import RASA_BIN, RASA_ENV, ROOT, free_port, once_per_session
from tests.integration.desk_hours import desk_config

# The gateway's voice buttons (bot/replies.yml voice_buttons).
VOICE_TITLES = ("🔊 بشنوید", "همیشه صوتی", "فقط نوشته")
# The privacy notice's button, which joins the question of a session's first turn.
PRIVACY_TITLE = "بیشتر بدانید"


@dataclass
class Stack:
    gateway: str
    rasa: str
    sandbox: str
    redis_url: str
    tokens: dict
    logs: Path
    processes: dict = field(default_factory=dict)
    actions: str = ""
    # The environment every process was started with, for a test that starts one more (e.g. a
    # second gateway with messengers, tests/security/test_fuzz_gateway.py).
    env: dict = field(default_factory=dict)

    def tracker(self, conversation_id: str) -> dict:
        request = urllib.request.Request(
            f"{self.rasa}/conversations/{conversation_id}/tracker?token={self.tokens['RASA_API_TOKEN']}"
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.load(response)

    async def sandbox_mode(self, target: str, mode: str) -> None:
        async with aiohttp.ClientSession() as session:
            async with session.post(
                f"{self.sandbox}/_control/mode",
                json={"target": target, "mode": mode},
                headers={"X-Sandbox-Control": self.tokens["SANDBOX_CONTROL_TOKEN"]},
            ) as r:
                assert r.status == 200

    async def last_sms(self, phone: str) -> str:
        async with aiohttp.ClientSession() as session:
            async with session.get(
                f"{self.sandbox}/sms/v1/outbox",
                params={"to": phone},
                headers={"Authorization": f"Bearer {self.tokens['SMS_TOKEN']}"},
            ) as r:
                messages = (await r.json())["messages"]
        assert messages, "no SMS was sent"
        return messages[-1]["text"]

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.logs / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def train_model() -> Path:
    # A developer may point at a model already trained (e.g. while iterating on actions).
    if os.environ.get("HAMYAR_TEST_MODEL"):
        return Path(os.environ["HAMYAR_TEST_MODEL"])
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "train.py"), "--rasa", RASA_BIN], cwd=ROOT, capture_output=True, text=True
    )
    if result.returncode != 0:
        pytest.fail(f"training failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return ROOT / "models" / "hamyar.tar.gz"


class CallbackReceiver:
    """A bridge's callback endpoint: records every POST it is sent (body and headers)."""

    def __init__(self) -> None:
        import http.server
        import threading

        received = self.received = []
        condition = self.condition = threading.Condition()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with condition:
                    received.append((dict(self.headers), body, self.path))
                    condition.notify_all()
                answer = b'{"ok": true}'  # also what Eitaa's send-only API answers
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 20) -> list:
        with self.condition:
            assert self.condition.wait_for(lambda: len(self.received) >= count, timeout), (
                f"{len(self.received)} callbacks, wanted {count}"
            )
            return list(self.received)


@pytest.fixture(scope="session")
@once_per_session
def callbacks() -> Iterator[CallbackReceiver]:
    receiver = CallbackReceiver()
    yield receiver
    receiver.server.shutdown()


@pytest.fixture(scope="session")
@once_per_session
def stack(
    redis_server: str, tokens: dict, tmp_path_factory: pytest.TempPathFactory, callbacks: CallbackReceiver
) -> Iterator[Stack]:
    model = train_model()
    # Its own database, so unit tests that empty database 0 never touch it.
    redis_server = redis_server.rsplit("/", 1)[0] + "/1"
    logs = tmp_path_factory.mktemp("logs")
    ports = {name: free_port() for name in ("sandbox", "actions", "rasa", "gateway")}
    sandbox = f"http://127.0.0.1:{ports['sandbox']}"
    all_tokens = {
        **tokens,
        "SANDBOX_CONTROL_TOKEN": "control-" + uuid.uuid4().hex,
        "GENERIC_SMS_SECRET": uuid.uuid4().hex,
        "GENERIC_EITAA_SECRET": uuid.uuid4().hex,
        "AGENCY_TAMIN_CALLBACK_SECRET": uuid.uuid4().hex,
        "HAMYAR_ADMIN_TOKEN": uuid.uuid4().hex,
        "ACTION_SERVER_TOKEN": uuid.uuid4().hex,
        "WEB_SESSION_SECRET": uuid.uuid4().hex,
        "HAMYAR_DATA_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
    }
    from scripts.processes import commands, environment

    env = {
        **RASA_ENV,
        **all_tokens,
        "PYTHONUNBUFFERED": "1",
        # What `make run` gives the processes (scripts/processes.py), on this stack's ports.
        **environment(ports, redis_server),
        "TRACKER_EXPIRY_SECONDS": "3600",
        # Short keep-alives so a closed test stream ends quickly.
        "SSE_KEEPALIVE_SECONDS": "1",
        # Every test chat comes from 127.0.0.1 and types faster than a person: limits far above
        # the tests' pace (tests/security/test_web_sessions.py checks the limits themselves).
        "WEB_MESSAGES_PER_MINUTE": "600",
        "WEB_ADDRESS_MESSAGES_PER_MINUTE": "0",
        "WEB_NEW_SESSIONS_PER_MINUTE": "0",
        # The suite confirms the same demo phones many times a minute; the limits on one-time
        # codes are checked with their defaults by tests/security/test_sms_limits.py.
        "SMS_COOLDOWN_SECONDS": "0",
        "SMS_PER_PHONE_10MIN": "100000",
        "SMS_PER_PHONE_DAY": "100000",
        "SMS_PER_REQUESTER_HOUR": "100000",
        "GENERIC_EITAA_CALLBACK_URL": callbacks.url,
        # The same receiver stands in for Eitaa's send-only API.
        "CASE_POLL_SECONDS": "1",
        "EITAA_TOKEN": "eitaa-token",
        "EITAA_ANNOUNCE_CHAT": "hamyar_news",
        "EITAA_BASE_URL": callbacks.url.rsplit("/", 1)[0] + "/eitaa",
        # The desk's database (handoff codes, staff), its own file, at the latest migration.
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('database') / 'desk.db'}",
        # Office hours closed whatever the clock says, so «اپراتور» is answered the same at any
        # hour (tests/integration/test_desk_handoff.py runs gateways of its own, open and closed).
        "HAMYAR_DESK": str(desk_config(logs / "desk.yml", open_now=False)),
    }
    from desk.db import upgrade

    upgrade(env["DATABASE_URL"])
    # As `make run` starts them, but Redis: the session's own (tests/conftest.py).
    started = commands(ports, sys.executable, str(Path(RASA_BIN).parent / "python"), str(model))
    del started["redis"]
    stack = Stack(
        f"http://127.0.0.1:{ports['gateway']}",
        f"http://127.0.0.1:{ports['rasa']}",
        sandbox,
        redis_server,
        all_tokens,
        logs,
        actions=f"http://127.0.0.1:{ports['actions']}",
        env=env,
    )
    try:
        for name, command in started.items():
            handle = open(logs / f"{name}.log", "w")
            stack.processes[name] = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
        wait_healthy(ports, stack.processes)
    except Exception as error:
        tails = "\n".join(f"--- {n}\n{stack.log_tail(n)}" for n in started)
        stop_all(stack.processes)
        pytest.fail(f"{error}\n{tails}")
    yield stack
    stop_all(stack.processes)


async def close_within(server, seconds: float = 30) -> None:
    """Stop an in-process test server, failing (with every task's stack) rather than hanging.

    Closing the gateway straight from a fixture's teardown was seen to hang once in a while
    when the whole suite ran; run in its own task with a deadline it closes.
    """
    import io

    try:
        await asyncio.wait_for(server.close(), seconds)
    except asyncio.TimeoutError:
        stacks = io.StringIO()
        for task in asyncio.all_tasks():
            task.print_stack(file=stacks)
        raise AssertionError(f"server did not close within {seconds} s:\n{stacks.getvalue()[-6000:]}") from None


class Chat:
    """A citizen in the web chat: a cookie session, messages posted, replies read from the stream."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.stream: Optional[aiohttp.ClientResponse] = None
        self.last: list[dict] = []
        self.history: list[dict] = []
        self.echoes: list[dict] = []

    async def open(self) -> "Chat":
        async with self.session.get(self.stack.gateway + "/") as response:
            assert response.status == 200
        self.stream = await self.session.get(
            self.stack.gateway + "/chat/events", timeout=aiohttp.ClientTimeout(total=None, sock_read=60)
        )
        assert self.stream.status == 200
        return self

    @property
    def conversation_id(self) -> str:
        from connectors.web import chat_id_of

        token = next(c.value for c in self.session.cookie_jar if c.key == "hamyar_chat")
        return f"web:{chat_id_of(token, self.stack.tokens['WEB_SESSION_SECRET'])}"

    async def _events(self, count: int) -> list[dict]:
        events: list[dict] = []
        data = ""
        while len(events) < count:
            line = (await asyncio.wait_for(self.stream.content.readline(), 30)).decode().rstrip("\n")
            if line.startswith("data: "):
                data = line[6:]
            elif line == "" and data:
                event = json.loads(data)
                data = ""
                if event["sender"] == "user":
                    self.echoes.append(event)
                else:
                    events.append(event)
        return events

    async def post(self, body: dict) -> dict:
        body.setdefault("message_id", uuid.uuid4().hex)
        async with self.session.post(self.stack.gateway + "/chat/messages", json=body) as response:
            result = await response.json()
            assert response.status == 200, result
        return result

    async def send(self, body: dict) -> list[dict]:
        result = await self.post(body)
        self.last = await self._events(result.get("replies", 0))
        # Every turn of every test: at most two messages, buttons only on the last (fold_turn).
        assert len(self.last) <= 2 and not any(m.get("buttons") for m in self.last[:-1]), [m["text"] for m in self.last]
        self.history.extend(self.last)
        return self.last

    async def say(self, text: str) -> list[dict]:
        return await self.send({"text": text})

    async def click(self, title: str) -> list[dict]:
        for message in reversed(self.last):
            for button in message.get("buttons", []):
                if button["title"] == title:
                    return await self.send({"button_id": button["id"]})
        raise AssertionError(f"no button {title!r} in {[b['title'] for m in self.last for b in m.get('buttons', [])]}")

    def text(self) -> str:
        return "\n".join(m["text"] for m in self.last)

    def buttons(self) -> list[str]:
        """The assistant's buttons on the last turn, without the gateway's «🔊 بشنوید» that every
        answer carries (connectors/voice_offer.py; tests/connectors/test_voice.py tests it) and
        the privacy notice's «بیشتر بدانید» (tests/integration/test_two_messages.py)."""
        extras = (*VOICE_TITLES, PRIVACY_TITLE)
        return [b["title"] for m in self.last for b in m.get("buttons", []) if b["title"] not in extras]

    def slots(self) -> dict:
        return self.stack.tracker(self.conversation_id)["slots"]

    async def close(self) -> None:
        if self.stream is not None:
            self.stream.close()
        await self.session.close()


@pytest.fixture
async def chat(stack: Stack):
    conversation = await Chat(stack).open()
    yield conversation
    await conversation.close()
