"""Hamyar scaled out on loopback, as `make run` starts it with RASA_WORKERS, ACTIONS_WORKERS and
GATEWAY_WORKERS (scripts/processes.py): one redis-server, the sandbox agency, and several action
servers, Rasa servers and gateways, each its own process with its own log, any of which a test
can kill."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import psutil

from connectors.required_secrets import generated_secrets, new_value
from scripts.processes import PORTS, Program, environment, instance_ports, programs
from scripts.readiness import HEALTH_PATHS, HEALTH_TIMEOUTS, free_port, http_ok, start_redis, stop_all, wait_until
from tests.conftest import RASA_BIN, RASA_ENV, ROOT


def _free_run(count: int, taken: set[int]) -> int:
    """The first of ``count`` consecutive free loopback ports, none in ``taken``."""
    for _ in range(100):
        base = free_port()
        run = range(base, base + count)
        if taken.isdisjoint(run) and all(_bindable(port) for port in run[1:]):
            taken.update(run)
            return base
    raise RuntimeError(f"no {count} consecutive free ports")


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class Topology:
    """The started processes by program name (``rasa-2``), their ports, and where they log."""

    workdir: Path
    env: dict[str, str]
    listed: list[Program]
    ports: dict[str, int]
    redis_url: str
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def of_kind(self, kind: str) -> list[str]:
        return [program.name for program in self.listed if program.kind == kind]

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def log_tails(self, lines: int = 30) -> str:
        return "\n".join(f"--- {name}\n" + "\n".join(self.log(name).splitlines()[-lines:]) for name in self.processes)

    def cpu_seconds(self) -> dict[str, float]:
        """CPU (user and system) each living process and its children have used so far."""
        used = {}
        for name, process in self.processes.items():
            if process.poll() is not None:
                continue
            try:
                tree = psutil.Process(process.pid)
                used[name] = sum(sum(p.cpu_times()[:2]) for p in [tree, *tree.children(recursive=True)])
            except psutil.NoSuchProcess:
                continue
        return used

    def kill(self, name: str, when_busy: bool = False) -> None:
        """SIGKILL a process and whatever it started: it dies mid-work, as a crashed one does.
        ``when_busy``: once it is using the CPU (for a Rasa server, in the middle of a turn)."""
        if when_busy:
            process = psutil.Process(self.processes[name].pid)
            wait_until(lambda: process.cpu_percent(0.05) > 50, 60, f"{name} busy")
        os.killpg(self.processes[name].pid, signal.SIGKILL)
        self.processes[name].wait()

    def stop(self) -> None:
        stop_all(self.processes)


def start_topology(workdir: Path, model: Path, counts: Mapping[str, int], given: Mapping[str, str] | None = None) -> Topology:
    """Every process, ``counts`` of each kind, started at once and waited for until each answers
    its health check; ``given`` adds to (or overrides) the environment they all share."""
    redis_dir = workdir / "redis"
    redis_dir.mkdir(mode=0o700)
    redis_process, redis_url = start_redis(redis_dir)
    taken: set[int] = set()
    bases = {name: _free_run(counts.get(name, 1), taken) for name in PORTS}
    listed = programs(
        bases, counts, str(ROOT / ".venvs/app/bin/python"), str(Path(RASA_BIN).parent / "python"), str(model), redis=False
    )
    env = {**RASA_ENV, "PYTHONUNBUFFERED": "1", **environment(bases, redis_url, counts=counts), **(given or {})}
    for secret in generated_secrets(env):
        if not env.get(secret.name):
            env[secret.name] = new_value(secret)
    each = instance_ports(bases, counts)
    ports = {}
    for program in listed:
        number = int(program.name.rsplit("-", 1)[1]) if "-" in program.name else 1
        ports[program.name] = each[program.kind][number - 1]
    topology = Topology(workdir, env, listed, ports, redis_url, {"redis": redis_process})
    try:
        for program in listed:
            with open(workdir / f"{program.name}.log", "w") as log:
                topology.processes[program.name] = subprocess.Popen(
                    program.command,
                    cwd=ROOT,
                    env={**env, **program.environment},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group, for ``kill``
                )
        for program in listed:  # in start order: the gateways' checks need Rasa
            url = topology.url(program.name) + HEALTH_PATHS[program.kind]
            wait_until(lambda: http_ok(url), HEALTH_TIMEOUTS[program.kind], program.name, topology.processes[program.name])
    except BaseException as error:
        tails = topology.log_tails()
        topology.stop()
        raise RuntimeError(f"{error}\n{tails}") from None
    return topology
