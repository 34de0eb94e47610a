"""The sandbox agency: the agency contract of DESIGN.md for demos and tests.

Serves every agency of its own data (sandbox/data/) under its own prefix (``/tamin/v1/...``), a
Shahkar-like identity match (``/identity/v1/match``) and an SMS gateway with an outbox
(``/sms/v1/...``). ``POST /_control/mode`` makes a target slow or down, for tests.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional

from aiohttp import web

from sandbox.config import SandboxAgency, SandboxConfig, load_config
from sandbox.validators import mobile, national_id_ok

OPENAPI = Path(__file__).resolve().parent / "openapi.yaml"
TEHRAN = timezone(timedelta(hours=3, minutes=30))
MODES = ("normal", "slow", "down")


@dataclass
class Mode:
    mode: str = "normal"
    delay: float = 6.0


@dataclass
class SandboxState:
    config: SandboxConfig
    cases: dict[str, dict[str, dict]]  # agency -> tracking code -> case, as it changes
    outbox: list[dict] = field(default_factory=list)
    complaints_by_key: dict[str, dict] = field(default_factory=dict)
    modes: dict[str, Mode] = field(default_factory=dict)
    control_token: str = ""

    def mode(self, target: str) -> Mode:
        return self.modes.get(target) or self.modes.get("all") or Mode()


STATE: web.AppKey[SandboxState] = web.AppKey("state", SandboxState)


def load_state(config: SandboxConfig, control_token: str = "") -> SandboxState:
    cases = {agency.id: {code: dict(case) for code, case in agency.cases.items()} for agency in config.agencies.values()}
    return SandboxState(config, cases, control_token=control_token)


def _error(status: int, code: str) -> web.Response:
    return web.json_response({"error": code}, status=status)


def _authorised(request: web.Request, token: str) -> bool:
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


async def _apply_mode(state: SandboxState, target: str) -> Optional[web.Response]:
    mode = state.mode(target)
    if mode.mode == "down":
        return _error(503, "unavailable")
    if mode.mode == "slow":
        await asyncio.sleep(mode.delay)
    return None


def _guard(target_of):
    """Token check and slow/down mode, shared by every agency-like route."""

    def wrap(handler):
        async def guarded(request: web.Request) -> web.StreamResponse:
            state: SandboxState = request.app[STATE]
            target, token = target_of(state, request)
            if target is None:
                return _error(404, "unknown_agency")
            if not _authorised(request, token):
                return _error(401, "unauthorised")
            failure = await _apply_mode(state, target)
            return failure or await handler(request, state, target)

        return guarded

    return wrap


def _agency_target(state: SandboxState, request: web.Request):
    agency: Optional[SandboxAgency] = state.config.agencies.get(request.match_info["agency"])
    return (agency.id, agency.token) if agency else (None, "")


@_guard(_agency_target)
async def service_status(request: web.Request, state: SandboxState, agency: str) -> web.Response:
    record = state.config.agencies[agency].services.get(request.match_info["service"])
    if record is None:
        return _error(404, "unknown_service")
    return web.json_response(
        {
            "service": record["id"],
            "name": record["name"],
            "status": record["status"],
            "message": record.get("message") or "",
            "since": record.get("since"),
            "expected_restore": record.get("expected_restore"),
        }
    )


@_guard(_agency_target)
async def case(request: web.Request, state: SandboxState, agency: str) -> web.Response:
    record = state.cases[agency].get(request.match_info["tracking_code"])
    national_id = request.headers.get("X-Citizen-National-Id", "")
    if record is None:
        return _error(404, "unknown_case")
    if not hmac.compare_digest(str(record["national_id"]).encode(), national_id.encode()):
        return _error(403, "national_id_mismatch")
    return web.json_response(
        {k: record.get(k) for k in ("tracking_code", "title", "status", "status_text", "last_update", "next_step", "office")}
    )


# What a case is once it is closed: no longer listed among a citizen's open cases.
CLOSED = frozenset({"completed"})
LISTED = ("tracking_code", "title", "status", "status_text", "last_update")


@_guard(_agency_target)
async def open_cases(request: web.Request, state: SandboxState, agency: str) -> web.Response:
    """A national id's open cases, newest first; only agencies whose data says ``case_search``."""
    if not state.config.agencies[agency].case_search:
        return _error(404, "not_offered")
    national_id = request.headers.get("X-Citizen-National-Id", "")
    if not national_id_ok(national_id):
        return _error(422, "invalid")
    owned = [
        record
        for record in state.cases[agency].values()
        if hmac.compare_digest(str(record["national_id"]).encode(), national_id.encode()) and record["status"] not in CLOSED
    ]
    owned.sort(key=lambda record: str(record["last_update"]), reverse=True)
    return web.json_response({"cases": [{k: record.get(k) for k in LISTED} for record in owned]})


@_guard(_agency_target)
async def file_complaint(request: web.Request, state: SandboxState, agency: str) -> web.Response:
    key = request.headers.get("Idempotency-Key", "")
    if not 8 <= len(key) <= 128:
        return _error(400, "idempotency_key_required")
    if key in state.complaints_by_key:
        return web.json_response(state.complaints_by_key[key], status=201)
    try:
        body = await request.json()
        national_id, phone, text = str(body["national_id"]), str(body["phone"]), str(body["text"]).strip()
    except (ValueError, KeyError, TypeError):
        return _error(400, "malformed")
    if not national_id_ok(national_id) or not mobile(phone) or not text:
        return _error(422, "invalid")
    pattern = state.config.agencies[agency].tracking_code
    code = _new_code(pattern, state.cases[agency])
    now = datetime.now(TEHRAN).replace(microsecond=0).isoformat()
    state.cases[agency][code] = {
        "tracking_code": code,
        "national_id": national_id,
        "title": "شکایت ثبت‌شده از همیار",
        "status": "received",
        "status_text": "دریافت شد و در نوبت بررسی است",
        "last_update": now,
        "next_step": "کارشناس سازمان شکایت را می‌خواند و نتیجه را پیامک می‌کند.",
        "office": "واحد رسیدگی به شکایات",
        "text": text,
    }
    created = {"tracking_code": code, "created_at": now}
    state.complaints_by_key[key] = created
    return web.json_response(created, status=201)


_CODE_SHAPE = re.compile(r"^(\d+)\\d\{(\d+)\}$")


def _new_code(pattern: str, existing: dict) -> str:
    """A fresh code of the agency's configured shape. The sandbox generates codes only for
    patterns of the form ``<leading digits>\\d{<count>}`` (those of sandbox/data/)."""
    shape = _CODE_SHAPE.match(pattern)
    if shape is None:
        raise ValueError(f"the sandbox cannot generate codes for the pattern {pattern!r}")
    lead, count = shape.group(1), int(shape.group(2))
    while True:
        code = lead + "".join(secrets.choice("0123456789") for _ in range(count))
        if code not in existing:
            return code


@_guard(lambda state, request: ("identity", state.config.identity_token))
async def identity_match(request: web.Request, state: SandboxState, target: str) -> web.Response:
    try:
        body = await request.json()
        national_id, phone = str(body["national_id"]), mobile(str(body["phone"]))
    except (ValueError, KeyError, TypeError):
        return _error(400, "malformed")
    owner_phone = state.config.people.get(national_id)
    return web.json_response({"match": bool(phone and owner_phone == phone)})


@_guard(lambda state, request: ("sms", state.config.sms_token))
async def send_sms(request: web.Request, state: SandboxState, target: str) -> web.Response:
    try:
        body = await request.json()
        to, text = mobile(str(body["to"])), str(body["text"])
    except (ValueError, KeyError, TypeError):
        return _error(400, "malformed")
    if not to:
        return _error(422, "invalid_phone")
    message = {"id": secrets.token_hex(6), "to": to, "text": text, "sent_at": datetime.now(TEHRAN).isoformat()}
    state.outbox.append(message)
    del state.outbox[:-500]
    return web.json_response({"id": message["id"]}, status=202)


@_guard(lambda state, request: ("sms", state.config.sms_token))
async def outbox(request: web.Request, state: SandboxState, target: str) -> web.Response:
    to = mobile(request.query.get("to", ""))
    return web.json_response({"messages": [m for m in state.outbox if m["to"] == to]})


def _control_allowed(request: web.Request) -> bool:
    token = request.app[STATE].control_token
    return not token or hmac.compare_digest(request.headers.get("X-Sandbox-Control", "").encode(), token.encode())


async def set_mode(request: web.Request) -> web.Response:
    state: SandboxState = request.app[STATE]
    if not _control_allowed(request):
        return _error(401, "unauthorised")
    try:
        body: dict[str, Any] = await request.json()
        target, mode = str(body["target"]), str(body["mode"])
    except (ValueError, KeyError, TypeError):
        return _error(400, "malformed")
    if mode not in MODES:
        return _error(422, "unknown_mode")
    state.modes[target] = Mode(mode, float(body.get("delay", 6.0)))
    return web.json_response({"target": target, "mode": mode})


async def set_case(request: web.Request) -> web.Response:
    """Sandbox only: move a case on, as an agency clerk would (for demos and the poller's tests)."""
    state: SandboxState = request.app[STATE]
    if not _control_allowed(request):
        return _error(401, "unauthorised")
    try:
        body: dict[str, Any] = await request.json()
        record = state.cases[str(body["agency"])][str(body["tracking_code"])]
    except (ValueError, KeyError, TypeError):
        return _error(404, "unknown_case")
    record.update({k: str(body[k]) for k in ("status", "status_text") if k in body})
    record["last_update"] = datetime.now(TEHRAN).replace(microsecond=0).isoformat()
    return web.json_response({"tracking_code": record["tracking_code"], "status": record["status"]})


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def openapi(request: web.Request) -> web.FileResponse:
    return web.FileResponse(OPENAPI)


def create_app(config: Optional[SandboxConfig] = None, control_token: str = "") -> web.Application:
    config = config or load_config()
    missing = [a.id for a in config.agencies.values() if not a.token]
    if missing or not config.identity_token or not config.sms_token:
        raise SystemExit(f"sandbox: tokens are not set for {missing or 'identity/sms'}; `make run` writes them to .env")
    app = web.Application(client_max_size=64 * 1024)
    app[STATE] = load_state(config, control_token)
    app.router.add_get("/health", health)
    app.router.add_get("/openapi.yaml", openapi)
    app.router.add_get("/{agency}/v1/services/{service}/status", service_status)
    app.router.add_get("/{agency}/v1/cases", open_cases)
    app.router.add_get("/{agency}/v1/cases/{tracking_code}", case)
    app.router.add_post("/{agency}/v1/complaints", file_complaint)
    app.router.add_post("/identity/v1/match", identity_match)
    app.router.add_post("/sms/v1/messages", send_sms)
    app.router.add_get("/sms/v1/outbox", outbox)
    app.router.add_post("/_control/mode", set_mode)
    app.router.add_post("/_control/case", set_case)
    return app


def main() -> None:
    import argparse
    import os

    parser = argparse.ArgumentParser(description="Hamyar sandbox agency")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("SANDBOX_PORT", "8090")))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for name in ("httpx", "httpcore"):  # they log request URLs, which may hold a token, at INFO
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("sandbox").info("sandbox agency on http://%s:%d (OpenAPI at /openapi.yaml)", args.host, args.port)
    web.run_app(
        create_app(control_token=os.environ.get("SANDBOX_CONTROL_TOKEN", "")),
        host=args.host,
        port=args.port,
        access_log=None,
        print=None,
    )


if __name__ == "__main__":
    main()
