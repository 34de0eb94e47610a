"""Every process of Hamyar and the environment they find each other by: the one list that
`make run` (scripts/run.sh runs them under supervisord, configured from here) and the
integration tests (tests/integration/conftest.py) start.

    python -m scripts.processes supervisord [--no-redis]  # writes .run/supervisord.conf; prints the log files
    python -m scripts.processes env        # shell exports, from the ports, counts and REDIS_URL set

Ports come from $SANDBOX_PORT, $ACTIONS_PORT, $RASA_PORT, $GATEWAY_PORT; `RASA_WORKERS`,
`ACTIONS_WORKERS` and `GATEWAY_WORKERS` (default 1) start that many of each, on consecutive ports
from its own. Each Rasa server is given one action server, in turn (docs/operations.md).
"""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional

from scripts.redis_env import redis_parts

ROOT = Path(__file__).resolve().parent.parent
# What scripts/run.sh starts with; the tests start their own on free ports.
PORTS = {"sandbox": "$SANDBOX_PORT", "actions": "$ACTIONS_PORT", "rasa": "$RASA_PORT", "gateway": "$GATEWAY_PORT"}
# The processes `make run` can start several of, and the variable giving how many.
WORKERS = {"actions": "ACTIONS_WORKERS", "rasa": "RASA_WORKERS", "gateway": "GATEWAY_WORKERS"}
# Started in this order and stopped in the reverse one.
ORDER = ("redis", "sandbox", "actions", "rasa", "gateway")
# Seconds a process must stay up to count as started; one that dies sooner is started again after
# 1 s, 2 s, … up to START_RETRIES times, then left stopped (FATAL) for someone to look at. Rasa
# loads its model (TensorFlow) first, so it dies of a bad model only after a while.
START_SECONDS = {"redis": 2, "sandbox": 3, "actions": 5, "rasa": 30, "gateway": 5}
START_RETRIES = 10
LOG_BYTES = "10MB"


def commands(
    ports: Mapping[str, object],
    app_python: str = ".venvs/app/bin/python",
    rasa_python: str = ".venvs/rasa/bin/python",
    model: str = "models/hamyar.tar.gz",
) -> dict[str, list[str]]:
    """Each process's command line, run from the repository's root."""
    return {
        # Its password is in the config file (scripts/common.sh), never on a command line.
        "redis": ["redis-server", ".run/redis.conf"],
        "sandbox": [app_python, "-m", "sandbox.app", "--port", str(ports["sandbox"])],
        "actions": [app_python, "-m", "actions.server", "--port", str(ports["actions"])],
        # `rasa run` with its API token read from RASA_API_TOKEN.
        "rasa": [
            rasa_python,
            "-m",
            "bot.serve",
            "--model",
            model,
            "--endpoints",
            "endpoints.yml",
            "--credentials",
            "credentials.yml",
            "-i",
            "127.0.0.1",
            "-p",
            str(ports["rasa"]),
            "--enable-api",
        ],
        "gateway": [app_python, "-m", "connectors.gateway"],
    }


def instance_ports(ports: Mapping[str, object], counts: Optional[Mapping[str, int]] = None) -> dict[str, list[int]]:
    """Each process's ports: ``counts[name]`` of them (default 1), consecutive from ``ports[name]``."""
    counts = counts or {}
    return {name: [int(ports[name]) + i for i in range(counts.get(name, 1))] for name in PORTS}


def _urls(ports: list[int], path: str = "") -> list[str]:
    return [f"http://127.0.0.1:{port}{path}" for port in ports]


def environment(
    ports: Mapping[str, object],
    redis_url: str,
    given: Mapping[str, str] | None = None,
    counts: Optional[Mapping[str, int]] = None,
) -> dict[str, str]:
    """What the processes read to reach each other and Redis; where ``given`` (an operator's
    environment) sets the sandbox, an agency or a store's expiry, that value is kept. With
    ``counts``, the gateway is given every Rasa server and action server (``program_environment``
    gives each Rasa server its own action server)."""
    given = given or {}

    def chosen(name: str, default: str) -> str:
        return given.get(name) or default

    each = instance_ports(ports, counts)
    sandbox = chosen("SANDBOX_URL", f"http://127.0.0.1:{ports['sandbox']}")
    return {
        "REDIS_URL": redis_url,
        **redis_parts(redis_url),  # Rasa's tracker and lock stores (endpoints.yml), password included
        "GATEWAY_PORT": str(ports["gateway"]),
        "ACTION_ENDPOINT_URL": _urls(each["actions"], "/webhook")[0],
        "RASA_URL": ",".join(_urls(each["rasa"])),
        "ACTIONS_URL": ",".join(_urls(each["actions"])),  # what the gateway's /health reports on
        # Rasa's lock on a conversation outlives a server killed mid-turn by this long: shorter than
        # the gateway's turn timeout (15 s), so the turn it retries on another server gets through.
        "TICKET_LOCK_LIFETIME": chosen("TICKET_LOCK_LIFETIME", "10"),
        "TRACKER_EXPIRY_SECONDS": chosen("TRACKER_EXPIRY_SECONDS", "86400"),
        "ACTIONS_HOST": chosen("ACTIONS_HOST", "127.0.0.1"),
        "SANDBOX_URL": sandbox,
        "IDENTITY_URL": chosen("IDENTITY_URL", f"{sandbox}/identity"),
        "SMS_URL": chosen("SMS_URL", f"{sandbox}/sms"),
        "AGENCY_TAMIN_URL": chosen("AGENCY_TAMIN_URL", f"{sandbox}/tamin"),
        "AGENCY_SABT_URL": chosen("AGENCY_SABT_URL", f"{sandbox}/sabt"),
        "AGENCY_POLICE_URL": chosen("AGENCY_POLICE_URL", f"{sandbox}/police"),
    }


@dataclass(frozen=True)
class Program:
    """One supervised process: its name (``rasa-2``), command line, and what its environment
    has beyond the one every process shares."""

    name: str
    kind: str
    command: list[str]
    environment: dict[str, str] = field(default_factory=dict)


def counts_from(environ: Mapping[str, str]) -> dict[str, int]:
    """How many of each process `RASA_WORKERS`, `ACTIONS_WORKERS`, `GATEWAY_WORKERS` ask for."""
    counts = {}
    for name, variable in WORKERS.items():
        value = environ.get(variable) or "1"
        if not value.isdigit() or int(value) < 1:
            raise ValueError(f"{variable}={value!r}: give a whole number, 1 or more")
        counts[name] = int(value)
    if counts["actions"] > counts["rasa"]:
        # Each Rasa server calls one action server (endpoints.yml has one URL): more would idle.
        raise ValueError(
            f"ACTIONS_WORKERS={counts['actions']} is more than RASA_WORKERS={counts['rasa']}: each Rasa server "
            "calls one action server, so the others would get nothing (ACTION_SERVER_SANIC_WORKERS adds "
            "processes to one action server)"
        )
    return counts


def programs(
    ports: Mapping[str, object],
    counts: Optional[Mapping[str, int]] = None,
    app_python: str = str(ROOT / ".venvs/app/bin/python"),
    rasa_python: str = str(ROOT / ".venvs/rasa/bin/python"),
    model: str = str(ROOT / "models/hamyar.tar.gz"),
    redis: bool = True,
) -> list[Program]:
    """Every process to supervise, in start order; ``redis=False`` when the operator gives one."""
    each = instance_ports(ports, counts)
    used = [int(ports["sandbox"]), *(port for name in WORKERS for port in each[name])]
    clashes = sorted({port for port in used if used.count(port) > 1})
    if clashes:
        raise ValueError(f"processes would share ports {clashes}: space the *_PORT variables further apart")
    action_urls = _urls(each["actions"], "/webhook")
    listed: list[Program] = []
    for kind in ORDER:
        if kind == "redis":
            if redis:
                listed.append(Program("redis", kind, commands(ports)["redis"]))
            continue
        if kind == "sandbox":
            listed.append(Program("sandbox", kind, commands(ports, app_python)["sandbox"]))
            continue
        for number, port in enumerate(each[kind], 1):
            command = commands({**ports, kind: port}, app_python, rasa_python, model)[kind]
            extra = {}
            if kind == "rasa":
                extra["ACTION_ENDPOINT_URL"] = action_urls[(number - 1) % len(action_urls)]
            if kind == "gateway":
                extra["GATEWAY_PORT"] = str(port)
            listed.append(Program(f"{kind}-{number}", kind, command, extra))
    return listed


def _value(text: str) -> str:
    """A value as supervisord's ini reads it: ``%`` is its interpolation character."""
    return text.replace("%", "%%")


def supervisord_config(listed: list[Program], run: Path, root: Path = ROOT) -> str:
    """supervisord's configuration: in the foreground, a private control socket, each process
    restarted when it exits (with backoff when it keeps failing to start), its output in
    ``run/logs/<name>.log``. No secret: the processes inherit supervisord's environment."""
    if "%" in str(run) + str(root):
        # supervisord expands a log file's path more than once, so no escaping of "%" holds.
        raise ValueError(f"supervisord cannot take a '%' in a path: {run}")
    logs = run / "logs"
    lines = [
        "; Written by `make run` (scripts/processes.py). No secret here: the processes inherit",
        "; supervisord's environment (.env, exported by scripts/run.sh).",
        "[supervisord]",
        "nodaemon=true",
        f"logfile={logs / 'supervisord.log'}",
        f"logfile_maxbytes={LOG_BYTES}",
        "logfile_backups=2",
        f"pidfile={run / 'supervisord.pid'}",
        f"childlogdir={logs}",
        "umask=077",
        *(["user=root"] if os.geteuid() == 0 else []),  # says so, rather than warn of it at every start
        "",
        "[unix_http_server]",
        f"file={run / 'supervisor.sock'}",
        "chmod=0700",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{run / 'supervisor.sock'}",
    ]
    for priority, program in enumerate(listed, 1):
        if any('"' in value or "\n" in value for value in program.environment.values()):
            raise ValueError(f"{program.name}: a quote or a line break in its environment")
        environment = ",".join(f'{name}="{_value(value)}"' for name, value in program.environment.items())
        lines += [
            "",
            f"[program:{program.name}]",
            f"command={_value(shlex.join(program.command))}",
            f"directory={root}",
            f"priority={priority * 10}",
            "autostart=true",
            "autorestart=true",
            f"startsecs={START_SECONDS[program.kind]}",
            f"startretries={START_RETRIES}",
            "stopsignal=TERM",
            "stopwaitsecs=20",
            # Sanic and Rasa may start children of their own: they stop with it.
            "stopasgroup=true",
            "killasgroup=true",
            "umask=077",
            "redirect_stderr=true",
            f"stdout_logfile={logs / (program.name + '.log')}",
            f"stdout_logfile_maxbytes={LOG_BYTES}",
            "stdout_logfile_backups=2",
            *([f"environment={environment}"] if environment else []),
        ]
    return "\n".join(lines) + "\n"


def write_supervisord(listed: list[Program], run: Path, root: Path = ROOT) -> list[Path]:
    """Write ``run/supervisord.conf`` and create each process's log file (mode 600, so a follower
    can open them before the processes start); the log files, in start order."""
    logs = run / "logs"
    logs.mkdir(mode=0o700, parents=True, exist_ok=True)
    config = run / "supervisord.conf"
    config.touch(mode=0o600)
    config.chmod(0o600)
    config.write_text(supervisord_config(listed, run, root), encoding="utf-8")
    files = [logs / f"{program.name}.log" for program in listed]
    for path in files:
        path.touch(mode=0o600)
    return files


def main(argv: list[str]) -> None:
    ports = {name: os.environ[f"{name.upper()}_PORT"] for name in PORTS}
    try:
        counts = counts_from(os.environ)
        if argv in (["supervisord"], ["supervisord", "--no-redis"]):
            listed = programs(ports, counts, redis="--no-redis" not in argv)
            for path in write_supervisord(listed, ROOT / ".run"):
                print(path.relative_to(ROOT))
        elif argv == ["env"]:
            exports = environment(ports, os.environ["REDIS_URL"], os.environ, counts)
            print(" ".join(f"export {name}={shlex.quote(value)};" for name, value in exports.items()))
        else:
            sys.exit("usage: python -m scripts.processes supervisord [--no-redis] | env")
    except ValueError as error:
        sys.exit(f"hamyar: {error}")


if __name__ == "__main__":
    main(sys.argv[1:])
