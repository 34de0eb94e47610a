"""Every process of Hamyar and the environment they find each other by: the one list that
`make run` (scripts/run.sh writes honcho's Procfile from it) and the integration tests
(tests/integration/conftest.py) start.

    python -m scripts.processes procfile [--no-redis]  # honcho's Procfile; ports read as $SANDBOX_PORT…
    python -m scripts.processes env        # shell exports, from the ports and REDIS_URL set
"""

from __future__ import annotations

import os
import shlex
import sys
from typing import Mapping

from scripts.redis_env import redis_parts

# What scripts/run.sh starts with; the tests start their own on free ports.
PORTS = {"sandbox": "$SANDBOX_PORT", "actions": "$ACTIONS_PORT", "rasa": "$RASA_PORT", "gateway": "$GATEWAY_PORT"}


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


def environment(ports: Mapping[str, object], redis_url: str, given: Mapping[str, str] | None = None) -> dict[str, str]:
    """What the processes read to reach each other and Redis; where ``given`` (an operator's
    environment) sets the sandbox, an agency or a store's expiry, that value is kept."""
    given = given or {}

    def chosen(name: str, default: str) -> str:
        return given.get(name) or default

    sandbox = chosen("SANDBOX_URL", f"http://127.0.0.1:{ports['sandbox']}")
    return {
        "REDIS_URL": redis_url,
        **redis_parts(redis_url),  # Rasa's tracker and lock stores (endpoints.yml), password included
        "GATEWAY_PORT": str(ports["gateway"]),
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{ports['actions']}/webhook",
        "RASA_URL": f"http://127.0.0.1:{ports['rasa']}",
        "TRACKER_EXPIRY_SECONDS": chosen("TRACKER_EXPIRY_SECONDS", "86400"),
        "ACTIONS_HOST": chosen("ACTIONS_HOST", "127.0.0.1"),
        "SANDBOX_URL": sandbox,
        "IDENTITY_URL": chosen("IDENTITY_URL", f"{sandbox}/identity"),
        "SMS_URL": chosen("SMS_URL", f"{sandbox}/sms"),
        "AGENCY_TAMIN_URL": chosen("AGENCY_TAMIN_URL", f"{sandbox}/tamin"),
        "AGENCY_SABT_URL": chosen("AGENCY_SABT_URL", f"{sandbox}/sabt"),
        "AGENCY_POLICE_URL": chosen("AGENCY_POLICE_URL", f"{sandbox}/police"),
    }


def procfile(redis: bool = True) -> str:
    """Honcho's Procfile; without Redis when the operator gives one (REDIS_URL)."""
    # Not shlex-quoted: honcho hands each line to the shell, which expands the $…_PORT names.
    return "".join(f"{name}: {' '.join(command)}\n" for name, command in commands(PORTS).items() if redis or name != "redis")


def main(argv: list[str]) -> None:
    if argv in (["procfile"], ["procfile", "--no-redis"]):
        print(procfile(redis="--no-redis" not in argv), end="")
    elif argv == ["env"]:
        ports = {name: os.environ[f"{name.upper()}_PORT"] for name in PORTS}
        exports = environment(ports, os.environ["REDIS_URL"], os.environ)
        print(" ".join(f"export {name}={shlex.quote(value)};" for name, value in exports.items()))
    else:
        sys.exit("usage: python -m scripts.processes procfile|env")


if __name__ == "__main__":
    main(sys.argv[1:])
