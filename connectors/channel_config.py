"""config/channels.yml (or HAMYAR_CHANNELS), read with the environment it expands from."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Optional

import yaml

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "config" / "channels.yml"


def read_channels(path: Optional[Path] = None, env: Optional[Mapping[str, str]] = None) -> tuple[dict, Mapping[str, str]]:
    env = os.environ if env is None else env
    data = yaml.safe_load(Path(path or env.get("HAMYAR_CHANNELS", DEFAULT_PATH)).read_text(encoding="utf-8")) or {}
    return data, env
