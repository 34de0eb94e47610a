"""Desk settings, from the environment: the database, retention and the staff login rules."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
# Embedded by default: nothing to install, a file under .run/ next to Redis's data.
DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///{ROOT / '.run' / 'hamyar.db'}"


class DeskSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    # SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://user:password@host/db.
    database_url: str = DEFAULT_DATABASE_URL
    # Handoffs (with their transcripts) and finished call-backs are deleted this long after.
    handoff_retention_days: int = 90
    # A staff account is locked for desk_lockout_minutes after this many failed logins in a row.
    desk_max_failed_logins: int = 5
    desk_lockout_minutes: float = 15
    # A staff session ends this long after its login.
    desk_session_minutes: float = 480
    # Live streams (open desk pages: queue, supervisor view, a conversation) one staff user may
    # hold at once on one gateway; one more is refused (0: no limit).
    desk_streams_per_user: int = 8
    # A handoff code an agent gives a caller (desk/codes.py) works once, for this long.
    handoff_code_hours: float = 24
    # Wrong codes a conversation (or a messenger user) may try in handoff_code_guess_minutes;
    # after that a code is not even looked up until the window ends.
    handoff_code_wrong_guesses: int = 5
    handoff_code_guess_minutes: float = 60
    # The gateway's public address (as the gateway's PUBLIC_URL), for the web chat's code link.
    public_url: str = ""
    # Login attempts a minute from one client address, whatever the username (0: no limit).
    desk_login_attempts_per_minute: int = 10
