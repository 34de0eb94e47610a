"""What the sandbox plays, read from its own files (sandbox/data/): agencies, services, tokens.

The sandbox stands in for systems outside Hamyar, so it keeps its own copy of this data rather
than reading Hamyar's catalogue; tests/sandbox/test_contract.py holds the two copies together.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional

import yaml

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class SandboxAgency:
    id: str
    name: str
    token: str
    tracking_code: str  # the regular expression the agency's tracking codes follow
    service_names: Mapping[str, str]  # service id -> Persian name
    services: Mapping[str, dict]  # service id -> status record
    cases: Mapping[str, dict]  # tracking code -> seeded case
    case_search: bool = False  # offers a national id's open cases (GET /v1/cases)


@dataclass(frozen=True)
class SandboxConfig:
    agencies: Mapping[str, SandboxAgency]
    identity_token: str
    sms_token: str
    people: Mapping[str, str]  # national id -> phone, for the identity match


def _read(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _agency(data: dict, env: Mapping[str, str]) -> SandboxAgency:
    services = {str(s["id"]): s for s in data.get("services", [])}
    return SandboxAgency(
        id=str(data["agency"]),
        name=str(data["name"]),
        token=env.get(str(data["token_env"]), ""),
        tracking_code=str(data["tracking_code"]),
        service_names={ident: str(record["name"]) for ident, record in services.items()},
        services=services,
        cases={str(c["tracking_code"]): c for c in data.get("cases", [])},
        case_search=bool(data.get("case_search", False)),
    )


def load_config(data_dir: Path = DATA_DIR, env: Optional[Mapping[str, str]] = None) -> SandboxConfig:
    env = os.environ if env is None else env
    plays = _read(data_dir / "sandbox.yml")
    agencies = {ident: _agency(_read(data_dir / f"{ident}.yml"), env) for ident in plays["agencies"]}
    people = _read(data_dir / "identity.yml").get("people", [])
    return SandboxConfig(
        agencies=agencies,
        identity_token=env.get(str(plays["identity"]["token_env"]), ""),
        sms_token=env.get(str(plays["sms"]["token_env"]), ""),
        people={str(p["national_id"]): str(p["phone"]) for p in people},
    )
