"""Rules that hand a conversation to a person: config/desk.yml's ``handoff_rules`` (or HAMYAR_DESK).

Read here, not in desk/, because the actions apply them and must not import the desk; the desk's
own configuration (desk/desk_config.py) checks the same section with these models at start-up.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Mapping, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "config" / "desk.yml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HandoffCondition(_Strict):
    # A complaint filed about this agency (an id of config/agencies.yml).
    complaint_agency: str = Field(min_length=1)


class HandoffRule(_Strict):
    name: str = Field(min_length=1)
    when: HandoffCondition


def load_handoff_rules(path: Optional[os.PathLike] = None, env: Optional[Mapping[str, str]] = None) -> tuple[HandoffRule, ...]:
    env = os.environ if env is None else env
    source = Path(path or env.get("HAMYAR_DESK") or DEFAULT_PATH)
    data = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    return tuple(HandoffRule.model_validate(rule) for rule in data.get("handoff_rules") or ())


def complaint_rule(rules: Iterable[HandoffRule], agency: str) -> Optional[HandoffRule]:
    """The first rule that hands a complaint about ``agency`` to a person, if any."""
    return next((rule for rule in rules if rule.when.complaint_agency == agency), None)
