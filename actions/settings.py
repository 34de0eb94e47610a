"""Action server settings, from the environment (documented in the README)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class ActionSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    redis_url: str = "redis://127.0.0.1:6379/0"
    # Time an action may spend on agency calls in one turn, retries included.
    turn_deadline_seconds: float = 4.0
    otp_ttl_seconds: int = 300
    otp_max_wrong: int = 3
    # Failed identity checks (wrong phone or wrong code) per national id before a lock-out.
    identity_max_failures: int = 5
    identity_lock_seconds: int = 3600
    complaint_max_chars: int = 1000
