"""Gateway settings, from the environment (documented in docs/configuration.md)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


def url_list(value: str) -> list[str]:
    """The URLs of a comma-separated setting (``RASA_URL``, ``ACTIONS_URL``), without trailing slashes."""
    return [url.strip().rstrip("/") for url in value.split(",") if url.strip()]


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8080
    # One Rasa server, or several separated by commas: turns are spread over them (connectors/rasa_client.py).
    rasa_url: str = "http://127.0.0.1:5005"
    # The action servers' base URLs, separated by commas, that GET /health reports on (empty: none).
    actions_url: str = ""
    # GET /health probes every part at most this often, however often it is asked.
    health_cache_seconds: float = 1.0
    rasa_channel_token: str
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Connections the gateway's Redis client may open; a turn that finds none free waits for one
    # (up to redis_pool_wait_seconds) instead of failing. Each conversation waiting its turn holds
    # one while it waits (connectors/lanes.py).
    redis_max_connections: int = 512
    redis_pool_wait_seconds: float = 30.0
    # Longer than an action's turn deadline (4 s) plus Rasa's own work.
    turn_timeout_seconds: float = 15.0
    # Rasa's lock on a conversation outlives a server killed mid-turn by this long (Rasa reads the
    # same variable; its own default is 60): the turn retried on another server may wait it out
    # first, so that retry gets this much more than turn_timeout_seconds.
    ticket_lock_lifetime: float = 60.0
    # Seconds an event stream waits for a reply before sending a keep-alive.
    sse_keepalive_seconds: float = 15.0
    # Signs web chat session cookies (at least 32 characters; `make run` writes one to .env).
    # Empty: a random key per process, so web sessions end when the gateway restarts.
    web_session_secret: str = ""
    web_session_days: float = 30
    # Web chat limits: messages a minute per session and per client address, new sessions a
    # minute per address (0: no limit). Addresses are generous: many phones share one behind NAT.
    web_messages_per_minute: int = 20
    web_address_messages_per_minute: int = 300
    web_new_sessions_per_minute: int = 30
    # Behind a reverse proxy: the header it puts the client's address in (e.g. X-Real-IP).
    web_client_address_header: str = ""
    # Open event streams: per session, and in all for one gateway process.
    web_streams_per_session: int = 5
    web_max_streams: int = 2000
    publish_content_on_start: bool = True
    # The gateway's public https address, for registering messenger webhooks (empty: register by hand).
    public_url: str = ""
    # Bearer token of the operators' announcement API (empty: the API is off).
    hamyar_admin_token: str = ""
    # How often agencies without callbacks are asked about watched cases (0: never).
    case_poll_seconds: float = 300
    # A notice whose send failed is tried again after this, then after twice as long each time
    # (10 tries, pauses up to an hour); a stopped gateway's notices are taken over after it.
    notice_retry_seconds: float = 30
    # Turns a gateway has at each Rasa server at once; more wait at the gateway (0: no limit).
    rasa_turns_in_flight: int = 4
    # A messenger chat gets at most one message this often (Telegram's limit is about one a second);
    # a turn's further replies wait, with "typing…" shown (connectors/sendqueue.py).
    chat_pace_seconds: float = 1.0
    # Messages a second a bot may send, across every gateway process (Telegram's limit is about 30).
    bot_messages_per_second: int = 30
    # Replies as voice (connectors/voice.py): where made voices are kept, and how much of them.
    voice_cache_dir: str = ""  # empty: .run/voice in the checkout
    voice_cache_mb: int = 200
    # How long a signed link to a reply's voice (web chat, generic webhook) plays.
    voice_link_hours: float = 24
