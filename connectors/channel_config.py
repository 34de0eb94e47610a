"""config/channels.yml (or HAMYAR_CHANNELS), read with the environment it expands from."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping, Optional

import yaml

from agencies.catalog import expand_env

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "config" / "channels.yml"


def read_channels(path: Optional[Path] = None, env: Optional[Mapping[str, str]] = None) -> tuple[dict, Mapping[str, str]]:
    env = os.environ if env is None else env
    data = yaml.safe_load(Path(path or env.get("HAMYAR_CHANNELS") or DEFAULT_PATH).read_text(encoding="utf-8")) or {}
    return data, env


def channel_entries(section: str, path: Optional[Path] = None, env: Optional[Mapping[str, str]] = None) -> list[dict[str, Any]]:
    """The entries of one section (a list of them, or a single mapping), each string value with
    ``${NAME}`` filled from the environment; other values as written."""
    data, env = read_channels(path, env)
    raw = data.get(section) or []
    entries = raw if isinstance(raw, list) else [raw]
    return [{k: expand_env(v, env) if isinstance(v, str) else v for k, v in entry.items()} for entry in entries]


def webhook_secret(name: str, secret: str, variable: str) -> str:
    """The secret of a channel served by webhook; start-up stops when it is too short to guard one."""
    if len(secret) < 16:
        raise SystemExit(f"{name}: a webhook needs a secret of 16+ characters ({variable})")
    return secret
