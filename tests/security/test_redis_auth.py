"""Redis runs with a password every process uses, Rasa's tracker and lock stores included, and
its data is readable by its owner only."""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import uuid

import pytest
import redis
from redis.backoff import NoBackoff
from redis.exceptions import AuthenticationError, ResponseError
from redis.retry import Retry

from scripts.processes import PORTS, commands
from scripts.redis_env import redis_parts
from tests.conftest import ROOT, free_port, port_open, wait_until

APP_PY = ROOT / ".venvs" / "app" / "bin" / "python"


def client(**options) -> redis.Redis:
    """A client that takes a refusal as final (redis-py otherwise retries it for seconds)."""
    return redis.Redis(retry=Retry(NoBackoff(), 0), **options)


def test_rasa_gets_the_password_from_the_redis_url():
    assert redis_parts("redis://:s3cret@127.0.0.1:6380/2") == {
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": "6380",
        "REDIS_DB": "2",
        "REDIS_USERNAME": "",
        "REDIS_PASSWORD": "s3cret",
    }
    assert redis_parts("redis://hamyar:p%40ss%2Fword@db.local/0")["REDIS_PASSWORD"] == "p@ss/word"
    assert redis_parts("redis://hamyar:pw@db.local/0")["REDIS_USERNAME"] == "hamyar"
    assert redis_parts("redis://127.0.0.1:6379/0")["REDIS_PASSWORD"] == ""


def test_the_run_script_reads_the_url_from_the_environment_not_its_arguments():
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "REDIS_URL": "redis://:it's-secret@127.0.0.1:6380/1"}
    done = subprocess.run([str(APP_PY), "-m", "scripts.redis_env"], env=env, capture_output=True, text=True, check=True)
    exported = subprocess.run(
        ["bash", "-c", done.stdout + 'printf "%s|%s|%s" "$REDIS_PASSWORD" "$REDIS_PORT" "$REDIS_DB"'],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert exported == "it's-secret|6380|1"


@pytest.fixture
def make_run_redis(tmp_path):
    """Redis as `make run` starts it: common.sh's config, scripts/processes.py's command, the run script's umask."""
    port, password = free_port(), uuid.uuid4().hex
    script = (
        f'source "{ROOT}/scripts/common.sh"; ROOT="{tmp_path}"; REDIS_PORT={port} REDIS_PASSWORD={password} write_redis_config'
    )
    done = subprocess.run(["bash", "-c", script], env={"PATH": os.environ["PATH"]}, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    command = shlex.join(commands(PORTS)["redis"])
    process = subprocess.Popen(
        ["bash", "-c", f"umask 077; exec {command}"],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "REDIS_PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: port_open(port), 10, "redis-server", process)
        yield port, password, process, tmp_path / ".run"
    finally:
        process.terminate()
        process.wait(10)


def test_make_runs_redis_with_a_password_kept_off_its_command_line_and_private_data(make_run_redis):
    port, password, process, run = make_run_redis
    assert password not in shlex.join(open(f"/proc/{process.pid}/cmdline").read().split("\0"))
    with pytest.raises((AuthenticationError, ResponseError), match="(?i)auth"):
        client(port=port).ping()
    with pytest.raises((AuthenticationError, ResponseError)):
        client(port=port, password="wrong").ping()
    owner = client(port=port, password=password)
    owner.set("hamyar:probe", "1")
    owner.close()

    assert stat.S_IMODE((run / "redis.conf").stat().st_mode) == 0o600
    for folder in (run, run / "redis"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    files = [path for path in (run / "redis").rglob("*")]
    assert any("appendonly" in path.name or path.suffix == ".aof" for path in files), files  # the AOF is on
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path


@pytest.mark.integration
async def test_the_stacks_redis_refuses_a_client_without_the_password(stack, chat):
    parts = redis_parts(stack.redis_url)
    assert parts["REDIS_PASSWORD"]
    anonymous = client(host=parts["REDIS_HOST"], port=int(parts["REDIS_PORT"]), db=int(parts["REDIS_DB"]))
    with pytest.raises((AuthenticationError, ResponseError), match="(?i)auth"):
        anonymous.ping()

    # Rasa keeps the conversation there all the same: its tracker store has the password.
    await chat.say("سلام")
    owner = redis.Redis.from_url(stack.redis_url)
    assert owner.exists(f"rasa:tracker:{chat.conversation_id}")
    owner.close()
