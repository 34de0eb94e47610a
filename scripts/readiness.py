"""Starting Hamyar's processes on loopback and waiting until they answer: shared by the
integration tests (tests/conftest.py, tests/integration/conftest.py) and the load benchmark
(bench/load.py), which start the same processes (scripts/processes.py) on free ports."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Callable, Mapping, Optional

# What each process answers 200 on once it serves; the gateway's also checks Redis and Rasa.
HEALTH_PATHS = {"sandbox": "/health", "actions": "/health", "rasa": "/webhooks/hamyar/", "gateway": "/health"}
# Seconds each may take: Rasa loads its model (TensorFlow) before it answers.
HEALTH_TIMEOUTS = {"sandbox": 30.0, "actions": 60.0, "rasa": 240.0, "gateway": 60.0}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def http_ok(url: str, headers: Optional[dict] = None) -> bool:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=2) as response:
        return response.status == 200


def wait_until(check: Callable[[], bool], timeout: float, what: str, process: subprocess.Popen | None = None) -> None:
    """Poll a readiness condition (not a sleep standing in for one) until it holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} before it was ready")
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{what} not ready after {timeout:.0f} s")


def wait_healthy(
    ports: Mapping[str, object], processes: Mapping[str, subprocess.Popen], names: Optional[list[str]] = None
) -> None:
    """Until each named process (all four by default) answers its health check; the gateway last,
    since its check needs Rasa and Redis."""
    for name in names or list(HEALTH_PATHS):
        url = f"http://127.0.0.1:{ports[name]}{HEALTH_PATHS[name]}"
        wait_until(lambda: http_ok(url), HEALTH_TIMEOUTS[name], name, processes.get(name))


def start_redis(directory: Path, appendonly: bool = False) -> tuple[subprocess.Popen, str]:
    """A redis-server on a free port with a password, its data in ``directory``; the process and
    its URL once it takes connections. The password is in a config file (mode 600), not on the
    command line, as `make run` gives it."""
    import secrets

    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed; `make test` installs it (Debian package redis-server)")
    port = free_port()
    password = secrets.token_urlsafe(24)
    config = directory / "redis.conf"
    config.touch(mode=0o600)
    config.write_text(
        f'bind 127.0.0.1\nport {port}\ndir "{directory}"\nsave ""\n'
        f'appendonly {"yes" if appendonly else "no"}\nrequirepass "{password}"\n'
    )
    process = subprocess.Popen([binary, str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: port_open(port), 10, "redis-server", process)
    except BaseException:
        stop_all({"redis": process})
        raise
    return process, f"redis://:{password}@127.0.0.1:{port}/0"


def stop_all(processes: Mapping[str, subprocess.Popen], seconds: float = 20) -> None:
    """Terminate every process, then kill those still running after ``seconds``."""
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    for process in processes.values():
        try:
            process.wait(seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
