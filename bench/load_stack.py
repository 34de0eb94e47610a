"""The whole Hamyar stack for the load benchmark: redis-server, sandbox, actions, Rasa and the
gateway on free loopback ports in a temporary directory, started as `make run` starts them
(scripts/processes.py), with fresh secrets; and what each process costs (CPU, RSS) while loaded.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Optional

import psutil
import yaml

from agencies.catalog import expand_env
from connectors.required_secrets import generated_secrets, new_value
from scripts.processes import commands, environment
from scripts.readiness import free_port, http_ok, start_redis, stop_all, wait_healthy, wait_until

ROOT = Path(__file__).resolve().parent.parent
# The bridge the load comes through (config/channels.yml): buttons on, replies in the response.
SOURCE = "eitaa"
SOURCE_SECRET = "GENERIC_EITAA_SECRET"
# What the processes may inherit from the operator's shell: nothing that turns a channel on.
INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYENV_ROOT", "HAMYAR_RASA_TENSORFLOW")


def tracker_store_type(endpoints: Path, env: Mapping[str, str]) -> str:
    """The tracker store an endpoints file names, its ``${VAR:-default}`` expanded."""
    data = yaml.safe_load(endpoints.read_text(encoding="utf-8"))
    return expand_env(str(data["tracker_store"]["type"]), env)


def with_tracker_store(endpoints: Path, store_type: str, out: Path) -> Path:
    """A copy of ``endpoints`` whose tracker store is ``store_type`` (e.g. Rasa's stock ``redis``);
    every other setting, and the ``${…}`` Rasa expands, unchanged."""
    data = yaml.safe_load(endpoints.read_text(encoding="utf-8"))
    data["tracker_store"]["type"] = store_type
    out.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


def tree_sum(process: psutil.Process, measure: Callable[[psutil.Process], float]) -> float:
    """``measure`` of a process and each of its living descendants, added up."""
    total = 0.0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += measure(member)
        except psutil.NoSuchProcess:
            continue
    return total


def tree_cpu_seconds(process: psutil.Process) -> float:
    """User and system CPU of a process and its living descendants."""
    return tree_sum(process, lambda member: sum(member.cpu_times()[:2]))


def tree_rss(process: psutil.Process) -> int:
    return int(tree_sum(process, lambda member: member.memory_info().rss))


def tree_pss(process: psutil.Process) -> int:
    """Proportional set size: each page shared by several processes counted once in all (split
    between them). Reading it walks /proc/<pid>/smaps, so it is taken after a run, not sampled."""
    return int(tree_sum(process, lambda member: member.memory_full_info().pss))


class RssSampler:
    """The sum of every process tree's RSS, sampled in a thread; ``peak`` since the last reset."""

    def __init__(self, stack: "Stack", interval: float = 0.25) -> None:
        self._stack = stack
        self._interval = interval
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._peak = 0
        self.overall = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.sample()

    def sample(self) -> int:
        total = sum(self._stack.rss().values())
        with self._lock:
            self._peak = max(self._peak, total)
            self.overall = max(self.overall, total)
        return total

    def reset(self) -> None:
        with self._lock:
            self._peak = 0

    @property
    def peak(self) -> int:
        with self._lock:
            return self._peak

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Stack:
    """Started by :func:`start`; ``gateway`` is its base URL, ``secret`` the bridge's."""

    workdir: Path
    ports: dict[str, int]
    env: dict[str, str]
    model: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    ready_seconds: float = 0.0
    # Rasa servers beyond the first ("rasa-2", ...) and their ports; the gateway spreads turns over all.
    more_rasa: dict[str, int] = field(default_factory=dict)
    _psutil: dict[str, psutil.Process] = field(default_factory=dict)

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    @property
    def secret(self) -> str:
        return self.env[SOURCE_SECRET]

    def _launch(self, name: str, command: list[str]) -> None:
        log = open(self.workdir / f"{name}.log", "a")
        self.processes[name] = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()  # the child holds its own descriptor
        self._psutil[name] = psutil.Process(self.processes[name].pid)

    def commands(self) -> dict[str, list[str]]:
        """Each process's command line, as `make run` has it, on this stack's ports and model."""
        return commands(self.ports, str(ROOT / ".venvs/app/bin/python"), str(ROOT / ".venvs/rasa/bin/python"), str(self.model))

    def _rasa_command(self, endpoints: Optional[Path]) -> list[str]:
        command = self.commands()["rasa"]
        if endpoints is not None:
            command[command.index("--endpoints") + 1] = str(endpoints)
        return command

    def _launch_more_rasa(self, endpoints: Optional[Path]) -> None:
        for name, port in self.more_rasa.items():
            command = commands(
                {**self.ports, "rasa": port},
                str(ROOT / ".venvs/app/bin/python"),
                str(ROOT / ".venvs/rasa/bin/python"),
                str(self.model),
            )["rasa"]
            if endpoints is not None:
                command[command.index("--endpoints") + 1] = str(endpoints)
            self._launch(name, command)

    def _more_rasa_ready(self) -> None:
        for name, port in self.more_rasa.items():
            wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/webhooks/hamyar/"), 240, name, self.processes[name])

    def restart_rasa(self, endpoints: Optional[Path]) -> float:
        """Rasa again, with another endpoints file; seconds until Rasa and the gateway are green."""
        stop_all({name: self.processes.pop(name) for name in ["rasa", *self.more_rasa]})
        began = time.monotonic()
        self._launch("rasa", self._rasa_command(endpoints))
        self._launch_more_rasa(endpoints)
        self._more_rasa_ready()
        self._ready(["rasa", "gateway"])
        return time.monotonic() - began

    def _ready(self, names: Optional[list[str]] = None) -> None:
        try:
            wait_healthy(self.ports, self.processes, names)
        except Exception as error:
            raise RuntimeError(f"{error}\n{self.log_tails()}") from None

    def cpu(self) -> dict[str, float]:
        """CPU seconds so far of each process tree, and of this benchmark's own process (the client)."""
        seconds: dict[str, float] = {}
        for name, process in self._psutil.items():
            kind = name.split("-")[0]  # several Rasa servers count as one
            seconds[kind] = seconds.get(kind, 0.0) + tree_cpu_seconds(process)
        # This process alone: the stack's processes are its children.
        own = psutil.Process().cpu_times()
        seconds["client"] = own.user + own.system
        return seconds

    def rss(self) -> dict[str, int]:
        sizes: dict[str, int] = {}
        for name, process in self._psutil.items():
            if process.is_running():
                kind = name.split("-")[0]
                sizes[kind] = sizes.get(kind, 0) + tree_rss(process)
        return sizes

    def pss(self) -> int:
        """The memory the processes take together, shared pages counted once (see ``tree_pss``)."""
        return sum(tree_pss(process) for process in self._psutil.values() if process.is_running())

    def log_tails(self, lines: int = 30) -> str:
        parts = []
        for path in sorted(self.workdir.glob("*.log")):
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {path.stem}\n" + "\n".join(tail))
        return "\n".join(parts)

    def stop(self) -> None:
        stop_all(self.processes)


def process_environment(ports: Mapping[str, int], redis_url: str) -> dict[str, str]:
    """What `make run` gives the processes, with a fresh value for every secret and the bridge's."""
    env = {name: os.environ[name] for name in INHERITED if name in os.environ}
    env.update(
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
    )
    env.update(environment(ports, redis_url))
    env[SOURCE_SECRET] = uuid.uuid4().hex
    for secret in generated_secrets(env):
        if not env.get(secret.name):
            env[secret.name] = new_value(secret)
    return env


def start(workdir: Path, model: Path, rasa_workers: int = 1, env: Optional[Mapping[str, str]] = None) -> Stack:
    """Every process, in the order `make run` lists them; ``ready_seconds`` runs from the start of
    redis-server until every health check is green. ``env`` adds to or overrides what the
    processes are given (e.g. a benchmark's own limits)."""
    began = time.monotonic()
    redis_dir = workdir / "redis"
    redis_dir.mkdir(mode=0o700)
    # Persisting as `make run`'s Redis does (appendonly), since the AOF's writes are part of a turn.
    redis_process, redis_url = start_redis(redis_dir, appendonly=True)
    ports = {name: free_port() for name in ("sandbox", "actions", "rasa", "gateway")}
    stack = Stack(workdir, ports, {**process_environment(ports, redis_url), **(env or {})}, model)
    stack.more_rasa = {f"rasa-{number}": free_port() for number in range(2, rasa_workers + 1)}
    servers = [ports["rasa"], *stack.more_rasa.values()]
    stack.env["RASA_URL"] = ",".join(f"http://127.0.0.1:{port}" for port in servers)
    stack.processes["redis"] = redis_process
    stack._psutil["redis"] = psutil.Process(redis_process.pid)
    try:
        started = stack.commands()
        del started["redis"]  # started above, on a free port
        for name, command in started.items():
            stack._launch(name, command)
        stack._launch_more_rasa(None)
        stack._more_rasa_ready()
        stack._ready()
    except BaseException:
        stack.stop()
        raise
    stack.ready_seconds = time.monotonic() - began
    return stack
