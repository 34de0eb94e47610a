"""The secrets Hamyar's configuration names: which ``make run`` generates, and which are missing.

Two lists, both read from the configuration so a new agency or messenger needs no change here:

- ``generated_secrets``: what ``make run`` writes to ``.env`` once (``python -m
  connectors.required_secrets --env-file .env``): the secrets the processes share, the agencies'
  tokens and, for agencies that call back, their callback secrets, and the webhook secret of each
  messenger whose token is set.
- ``missing_secrets``: configured sources without their secret, listed by name when the gateway
  starts (such a source is off, or its callbacks are answered 404).

Secrets shared with someone outside (a generic bridge's signing secret) are not generated: a
source whose secret is empty is off until its operator sets one.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

import yaml

from agencies.catalog import DEFAULT_PATH as AGENCIES_PATH
from agencies.catalog import expand_env
from connectors.channel_config import read_channels

_VARIABLE = re.compile(r"\$\{(\w+)")
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?(\w+)=(.*)$")


@dataclass(frozen=True)
class Secret:
    name: str
    # "token" (random URL-safe text) or "fernet" (a cryptography Fernet key).
    kind: str = "token"


# Shared by Hamyar's own processes; named by code and endpoints.yml, not by config/*.yml.
PROCESS_SECRETS = (
    Secret("RASA_CHANNEL_TOKEN"),  # gateway -> Rasa's Hamyar channel
    Secret("RASA_API_TOKEN"),  # Rasa's HTTP API
    Secret("ACTION_SERVER_TOKEN"),  # Rasa -> action server
    Secret("REDIS_PASSWORD"),  # every process -> Redis
    Secret("WEB_SESSION_SECRET"),  # signs web chat sessions
    Secret("HAMYAR_DATA_KEY", "fernet"),  # encrypts personal data kept at rest
    Secret("SANDBOX_CONTROL_TOKEN"),  # the sandbox's /_control
    Secret("HAMYAR_ADMIN_TOKEN"),  # operators' announcement API
)


def _variable(field: object) -> Optional[str]:
    """The environment variable a config field reads (``${NAME:-}``), if it reads one."""
    match = _VARIABLE.search(str(field or ""))
    return match.group(1) if match else None


def _agencies(path: Optional[Path], env: Mapping[str, str]) -> dict:
    path = Path(path or env.get("HAMYAR_AGENCIES") or AGENCIES_PATH)
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def _configured(agencies: dict, channels: dict, env: Mapping[str, str]) -> list[tuple[str, str]]:
    """(variable, what needs it) for every secret of a configured source, in config order."""
    found: list[tuple[str, str]] = []

    def add(field: object, what: str) -> None:
        name = _variable(field)
        if name:
            found.append((name, what))

    for section in ("identity", "sms"):
        add((agencies.get(section) or {}).get("token"), f"{section} service")
    for agency in agencies.get("agencies") or ():
        add(agency.get("token"), f"agency {agency['id']}")
        if str(agency.get("case_updates", "callback")) == "callback":
            add(agency.get("callback_secret"), f"agency {agency['id']} case updates")
    # A messenger is configured once its token is set; its webhook then needs a secret.
    for messenger in channels.get("messengers") or ():
        if (
            expand_env(str(messenger.get("token", "")), env)
            and expand_env(str(messenger.get("mode", "webhook")), env) == "webhook"
        ):
            add(messenger.get("webhook_secret"), f"messenger {messenger['name']}")
    rubika = channels.get("rubika") or {}
    if expand_env(str(rubika.get("token", "")), env):
        add(rubika.get("webhook_secret"), "rubika")
    return found


def generated_secrets(
    env: Mapping[str, str], agencies_path: Optional[Path] = None, channels_path: Optional[Path] = None
) -> list[Secret]:
    """Every secret ``make run`` generates, with the environment deciding which sources are on."""
    channels, _ = read_channels(channels_path, env)
    names = [secret.name for secret in PROCESS_SECRETS]
    wanted = list(PROCESS_SECRETS)
    for name, _what in _configured(_agencies(agencies_path, env), channels, env):
        if name not in names:
            names.append(name)
            wanted.append(Secret(name))
    return wanted


def missing_secrets(
    env: Optional[Mapping[str, str]] = None, agencies_path: Optional[Path] = None, channels_path: Optional[Path] = None
) -> list[str]:
    """Configured sources whose secret is not set: "NAME (what needs it)", names only, no values."""
    env = os.environ if env is None else env
    channels, _ = read_channels(channels_path, env)
    missing = [
        f"{name} ({what})" for name, what in _configured(_agencies(agencies_path, env), channels, env) if not env.get(name)
    ]
    # A generic bridge with a callback address but no secret: configured, yet off.
    for source in channels.get("generic") or ():
        if expand_env(str(source.get("callback_url", "")), env) and not expand_env(str(source.get("secret", "")), env):
            missing.append(f"{_variable(source.get('secret')) or 'secret'} (generic source {source['source']})")
    return missing


def new_value(secret: Secret) -> str:
    if secret.kind == "fernet":
        from cryptography.fernet import Fernet

        return Fernet.generate_key().decode()
    return secrets.token_urlsafe(24)


def read_env_file(path: Path) -> dict[str, str]:
    """``NAME=value`` lines of a .env file (values as written; ours are never quoted)."""
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            match = _ENV_LINE.match(line)
            if match:
                values[match.group(1)] = match.group(2).strip().strip("'\"")
    return values


def ensure_env_file(path: Path, env: Mapping[str, str]) -> list[str]:
    """Append a new value for each generated secret that neither the file nor the environment
    sets; returns the names added. The file is readable by its owner only."""
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    present = read_env_file(path)
    combined = {**present, **{k: v for k, v in env.items() if v}}
    added = [s for s in generated_secrets(combined) if not combined.get(s.name)]
    if added:
        text = path.read_text(encoding="utf-8")
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(
                ("\n" if text and not text.endswith("\n") else "") + "".join(f"{s.name}={new_value(s)}\n" for s in added)
            )
    return [s.name for s in added]


def main() -> None:
    parser = argparse.ArgumentParser(description="Write a value for every secret the configuration names that is not set yet")
    parser.add_argument("--env-file", type=Path, required=True)
    args = parser.parse_args()
    for name in ensure_env_file(args.env_file, os.environ):
        print(f"generated {name}")


if __name__ == "__main__":
    main()
