"""`make run`'s processes (scripts/processes.py): how many of each, on which ports, and the
supervisord configuration, read back by supervisor's own parser."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
from supervisor.datatypes import RestartUnconditionally
from supervisor.options import ServerOptions

from scripts.processes import (
    START_SECONDS,
    commands,
    counts_from,
    environment,
    programs,
    supervisord_config,
    write_supervisord,
)

PORTS = {"sandbox": 8090, "actions": 5055, "rasa": 5005, "gateway": 8080}
SECRET = "s3cret-" + "x" * 24


def parsed(config: Path) -> dict:
    """supervisord's own reading of a configuration file: each program's settings by name."""
    options = ServerOptions()
    options.realize(args=["-c", str(config)])
    return {process.name: process for group in options.process_group_configs for process in group.process_configs}


def test_one_of_each_by_default():
    listed = programs(PORTS, counts_from({}))
    assert [p.name for p in listed] == ["redis", "sandbox", "actions-1", "rasa-1", "gateway-1"]
    # The same command lines the integration tests start (commands()).
    assert listed[3].command == commands(PORTS, listed[1].command[0], listed[3].command[0], listed[3].command[4])["rasa"]
    assert environment(PORTS, "redis://127.0.0.1:6379/0")["RASA_URL"] == "http://127.0.0.1:5005"


def test_counts_start_that_many_on_consecutive_ports():
    counts = counts_from({"RASA_WORKERS": "3", "ACTIONS_WORKERS": "2", "GATEWAY_WORKERS": "2"})
    listed = {p.name: p for p in programs(PORTS, counts, redis=False)}
    assert list(listed) == ["sandbox", "actions-1", "actions-2", "rasa-1", "rasa-2", "rasa-3", "gateway-1", "gateway-2"]
    assert [listed[f"actions-{i}"].command[-1] for i in (1, 2)] == ["5055", "5056"]
    assert [listed[f"rasa-{i}"].command[listed[f"rasa-{i}"].command.index("-p") + 1] for i in (1, 2, 3)] == [
        "5005",
        "5006",
        "5007",
    ]
    # Each Rasa server calls one action server, in turn.
    assert [listed[f"rasa-{i}"].environment["ACTION_ENDPOINT_URL"] for i in (1, 2, 3)] == [
        "http://127.0.0.1:5055/webhook",
        "http://127.0.0.1:5056/webhook",
        "http://127.0.0.1:5055/webhook",
    ]
    assert [listed[f"gateway-{i}"].environment for i in (1, 2)] == [{"GATEWAY_PORT": "8080"}, {"GATEWAY_PORT": "8081"}]
    # Every gateway is given every Rasa server (it spreads turns over them) and action server (/health).
    shared = environment(PORTS, "redis://127.0.0.1:6379/0", {}, counts)
    assert shared["RASA_URL"] == "http://127.0.0.1:5005,http://127.0.0.1:5006,http://127.0.0.1:5007"
    assert shared["ACTIONS_URL"] == "http://127.0.0.1:5055,http://127.0.0.1:5056"


@pytest.mark.parametrize(
    "given, complaint",
    [
        ({"RASA_WORKERS": "0"}, "RASA_WORKERS"),
        ({"GATEWAY_WORKERS": "two"}, "GATEWAY_WORKERS"),
        ({"ACTIONS_WORKERS": "2"}, "more than RASA_WORKERS"),
    ],
)
def test_counts_that_make_no_sense_are_refused(given, complaint):
    with pytest.raises(ValueError, match=complaint):
        counts_from(given)


def test_processes_that_would_share_a_port_are_refused():
    # Eleven gateways from 8080 reach the sandbox's 8090.
    with pytest.raises(ValueError, match=r"\[8090\]"):
        programs(PORTS, counts_from({"GATEWAY_WORKERS": "11"}))


def test_supervisord_restarts_each_process_with_backoff_and_logs_it(tmp_path):
    counts = counts_from({"RASA_WORKERS": "2"})
    logs = write_supervisord(programs(PORTS, counts), tmp_path / "run", root=tmp_path)
    settings = parsed(tmp_path / "run" / "supervisord.conf")
    assert list(settings) == ["redis", "sandbox", "actions-1", "rasa-1", "rasa-2", "gateway-1"]
    for name, program in settings.items():
        kind = name.split("-")[0]
        assert program.autorestart is RestartUnconditionally and program.startretries >= 3, name
        assert program.startsecs == START_SECONDS[kind]
        assert program.stopasgroup and program.killasgroup  # a process's own children stop with it
        assert program.redirect_stderr and program.stdout_logfile == str(tmp_path / "run" / "logs" / f"{name}.log")
        assert program.directory == str(tmp_path)
    assert settings["rasa-2"].environment == {"ACTION_ENDPOINT_URL": "http://127.0.0.1:5055/webhook"}
    # Started Redis first and the gateways last; stopped the other way round.
    priorities = [program.priority for program in settings.values()]
    assert priorities == sorted(priorities)
    # The log files exist before the processes do (run.sh follows them), readable by their owner only.
    assert [path.name for path in logs] == [f"{name}.log" for name in settings]
    for path in [*logs, tmp_path / "run" / "supervisord.conf"]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE((tmp_path / "run" / "logs").stat().st_mode) == 0o700


def test_no_secret_in_the_configuration_or_a_command_line(tmp_path):
    # What the processes are given, secrets included, reaches them by inheritance only.
    redis_url = f"redis://:{SECRET}@127.0.0.1:6379/0"
    given = {"RASA_API_TOKEN": SECRET, "ACTION_SERVER_TOKEN": SECRET, "AGENCY_TAMIN_TOKEN": SECRET}
    shared = environment(PORTS, redis_url, given, counts_from({}))
    assert SECRET in shared["REDIS_PASSWORD"]  # the check below can fail
    listed = programs(PORTS, counts_from({}))
    write_supervisord(listed, tmp_path, root=tmp_path)
    text = (tmp_path / "supervisord.conf").read_text()
    assert SECRET not in text
    assert not [p.name for p in listed if SECRET in " ".join(p.command) or SECRET in str(p.environment)]
    # Nor a variable whose value supervisord would expand from its environment.
    assert not re.search(r"%\(ENV_", text)


def test_a_percent_in_a_command_is_not_read_as_supervisor_interpolation(tmp_path):
    listed = programs(PORTS, counts_from({}), app_python="/opt/100%/python", redis=False)
    write_supervisord(listed, tmp_path / "run", root=tmp_path)
    assert parsed(tmp_path / "run" / "supervisord.conf")["sandbox"].command.startswith("/opt/100%/python -m sandbox.app")
    # In a path it is refused: supervisord expands a log file's path twice.
    with pytest.raises(ValueError, match="%"):
        supervisord_config(listed, tmp_path / "100%")


def test_the_configuration_names_its_control_socket_private(tmp_path):
    text = supervisord_config(programs(PORTS, counts_from({})), tmp_path)
    assert f"file={tmp_path}/supervisor.sock\nchmod=0700" in text
    assert f"serverurl=unix://{tmp_path}/supervisor.sock" in text
