"""The agency catalogue (config/agencies.yml): agencies, endpoints, tokens, services, code patterns.

Read by the Rasa entity extractor, the action server and the gateway, so it needs only PyYAML.
``CatalogFile`` re-reads the file when it changes: adding a service needs no retraining. Matching
a citizen's words to these names is language work, in nlu/names.py.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

import yaml

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "config" / "agencies.yml"
_ENV = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")


def expand_env(value: str, env: Mapping[str, str]) -> str:
    """``${VAR:-default}`` from the environment."""
    return _ENV.sub(lambda m: env.get(m.group(1)) or (m.group(2) or ""), value)


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    agency_id: str
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    token: str


@dataclass(frozen=True)
class Agency:
    id: str
    name: str
    endpoint: Endpoint
    call_centre: str
    tracking_code: re.Pattern
    synonyms: tuple[str, ...] = ()
    services: tuple[Service, ...] = ()
    callback_secret: str = ""
    # How the agency reports case changes: "callback" (it calls us) or "polling" (we ask it).
    case_updates: str = "callback"
    # Whether its contract lists a national id's open cases, for citizens without a tracking code.
    case_search: bool = False


@dataclass(frozen=True)
class Catalog:
    agencies: tuple[Agency, ...]
    identity: Endpoint
    sms: Endpoint
    general_call_centre: str

    def agency(self, agency_id: str) -> Optional[Agency]:
        return next((a for a in self.agencies if a.id == agency_id), None)

    def service(self, service_id: str) -> Optional[Service]:
        return next((s for a in self.agencies for s in a.services if s.id == service_id), None)

    def case_search_agencies(self) -> tuple[Agency, ...]:
        """The agencies whose contract lists a national id's open cases."""
        return tuple(a for a in self.agencies if a.case_search)

    def agency_for_code(self, code: str) -> Optional[Agency]:
        return next((a for a in self.agencies if a.tracking_code.fullmatch(code)), None)

    def endpoint(self, name: str) -> Endpoint:
        """The endpoint of an agency id, or of ``identity`` / ``sms``; KeyError for anything else."""
        if name == "identity":
            return self.identity
        if name == "sms":
            return self.sms
        agency = self.agency(name)
        if agency is None:
            raise KeyError(name)
        return agency.endpoint


def parse_catalog(data: dict, env: Mapping[str, str]) -> Catalog:
    def endpoint(section: dict) -> Endpoint:
        return Endpoint(
            base_url=expand_env(str(section["base_url"]), env).rstrip("/"),
            token=expand_env(str(section.get("token", "")), env),
        )

    agencies = []
    for raw in data["agencies"]:
        services = tuple(
            Service(id=s["id"], name=s["name"], agency_id=raw["id"], synonyms=tuple(s.get("synonyms", ())))
            for s in raw.get("services", ())
        )
        agencies.append(
            Agency(
                id=raw["id"],
                name=raw["name"],
                endpoint=endpoint(raw),
                call_centre=str(raw["call_centre"]),
                tracking_code=re.compile(raw["tracking_code"]),
                synonyms=tuple(raw.get("synonyms", ())),
                services=services,
                callback_secret=expand_env(str(raw.get("callback_secret", "")), env),
                case_updates=str(raw.get("case_updates", "callback")),
                case_search=bool(raw.get("case_search", False)),
            )
        )
    return Catalog(
        agencies=tuple(agencies),
        identity=endpoint(data["identity"]),
        sms=endpoint(data["sms"]),
        general_call_centre=str(data.get("general_call_centre", "")),
    )


class CatalogFile:
    """The catalogue from a file, re-read whenever the file changes."""

    def __init__(self, path: Optional[os.PathLike] = None, env: Optional[Mapping[str, str]] = None) -> None:
        self.path = Path(path or os.environ.get("HAMYAR_AGENCIES") or DEFAULT_PATH)
        self._env = env
        self._stamp: Optional[tuple[float, int]] = None
        self._catalog: Optional[Catalog] = None

    def get(self) -> Catalog:
        stat = self.path.stat()
        stamp = (stat.st_mtime, stat.st_size)
        if self._catalog is None or stamp != self._stamp:
            with open(self.path, encoding="utf-8") as handle:
                data = yaml.safe_load(handle)
            self._catalog = parse_catalog(data, self._env if self._env is not None else os.environ)
            self._stamp = stamp
        return self._catalog
