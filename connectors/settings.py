"""Gateway settings, from the environment (documented in the README)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8080
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_channel_token: str
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Longer than an action's turn deadline (4 s) plus Rasa's own work.
    turn_timeout_seconds: float = 15.0
    # Seconds an event stream waits for a reply before sending a keep-alive.
    sse_keepalive_seconds: float = 15.0
    publish_content_on_start: bool = True
    # The gateway's public https address, for registering messenger webhooks (empty: register by hand).
    public_url: str = ""
    # Bearer token of the operators' announcement API (empty: the API is off).
    hamyar_admin_token: str = ""
    # How often agencies without callbacks are asked about watched cases (0: never).
    case_poll_seconds: float = 300
