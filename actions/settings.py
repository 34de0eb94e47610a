"""Action server settings, from the environment (documented in docs/configuration.md)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class ActionSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    redis_url: str = "redis://127.0.0.1:6379/0"
    # Time an action may spend on agency calls in one turn, retries included.
    turn_deadline_seconds: float = 4.0
    otp_ttl_seconds: int = 300
    otp_max_wrong: int = 3
    # Failed identity checks (wrong phone or wrong code) per requester before a lock-out.
    identity_max_failures: int = 5
    identity_lock_seconds: int = 3600
    # Requesters failing on one national id within the lock window before an alert.
    identity_alert_requesters: int = 3
    # A proved identity lasts this long without use, and never past the session.
    identity_ttl_seconds: int = 3600
    # One-time codes: a pause between two to one phone, and caps per phone and per requester.
    sms_cooldown_seconds: int = 60
    sms_per_phone_10min: int = 3
    sms_per_phone_day: int = 10
    sms_per_requester_hour: int = 5
    # Complaints a requester may file in an hour.
    complaints_per_hour: int = 3
    # Keys the hashes of personal identifiers in Redis (and seals what must be kept).
    hamyar_data_key: str = ""
    complaint_max_chars: int = 1000
    # A guide or form left unfinished is offered again for this long (no identity is kept).
    resume_ttl_seconds: int = 30 * 86400
