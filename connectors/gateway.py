"""The gateway app: what it holds (connectors/keys.py), what it serves (``ROUTES``) and what it
runs beside (``lifecycle``). Each door's handler sits beside its adapter and only translates
HTTP to calls."""

from __future__ import annotations

import gc
import logging
from pathlib import Path
from typing import Any, Awaitable, Callable

import redis.asyncio as aioredis
import uvloop
from aiohttp import web
from redis.exceptions import ConnectionError as RedisConnectionError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_fixed

from agencies import redis_connection
from agencies.catalog import CatalogFile
from agencies.subscriptions import SubscriptionStore
from connectors import generic, handoffs, health, messenger, rubika, voice_links
from connectors import web as webchat
from connectors.delivery import Adapter, Deliverer
from connectors.keys import (
    ADAPTERS,
    ADMIN_TOKEN,
    ANNOUNCEMENT_CHANNELS,
    CALLBACKS,
    CATALOG,
    DELIVERER,
    HANDOFFS,
    HEALTH,
    JOBS,
    NOTICES,
    NUMBERED,
    OUTBOX,
    RASA,
    REDIS,
    REPLAYS,
    REPLIES,
    ROUTER,
    SEND_QUEUES,
    SOURCES,
    SUBSCRIPTIONS,
    VOICE_LINKS,
    WEB_CONFIG,
)
from connectors.numbered import NumberedOptions
from connectors.outbox import Outbox
from connectors.rasa_client import RasaClient
from connectors.router import Router
from connectors.sendqueue import ChatQueues
from connectors.settings import GatewaySettings, url_list
from connectors.signing import ReplayGuard
from connectors.speech_in import recogniser_from_env
from connectors.voice import DEFAULT_CACHE, VoiceMaker
from connectors.voice_offer import VoiceOffer
from content.loader import load_articles
from content.replies import Replies
from content.store import ContentStore
from desk import web as desk_web
from desk.codes import CodeDoor
from desk.housekeeping import housekeeping
from notifications import agency_updates, announcements, worker
from notifications.poller import watch_cases
from notifications.queue import NoticeQueue

logger = logging.getLogger("gateway")


# The web chat's page, messages and events are added by connectors/web.py's ``setup``.
ROUTES: list[tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]]] = [
    ("GET", "/health", health.handle),
    ("POST", "/webhooks/generic/{source}", generic.receive),
    ("POST", "/webhooks/messenger/{name}/{secret}", messenger.receive),
    ("POST", "/webhooks/rubika/{secret}/{kind:update|inline}", rubika.receive),
    ("GET", voice_links.PATH, voice_links.serve),
    ("POST", "/webhooks/agency/{agency}/case-updates", agency_updates.case_updates),
    ("POST", "/admin/announcements", announcements.post_announcement),
    ("GET", "/admin/announcements/{id}", announcements.get_announcement),
]


def publish_content(publish: bool) -> Callable[[web.Application], Awaitable[None]]:
    async def on_startup(app: web.Application) -> None:
        # Started beside Redis by the process runner: wait for it rather than fail.
        async for attempt in AsyncRetrying(
            stop=stop_after_delay(30), wait=wait_fixed(0.5), retry=retry_if_exception_type(RedisConnectionError), reraise=True
        ):
            with attempt:
                await app[REDIS].ping()
        if publish:
            changed = await ContentStore(app[REDIS]).publish(load_articles())
            logger.info("content published changed=%d", changed)

    return on_startup


async def start_channels(app: web.Application) -> None:
    # Sending first: a polling messenger's first update may come as soon as it starts.
    adapters: dict[str, Adapter] = app[ADAPTERS]
    await app[SEND_QUEUES].start(adapters)
    for adapter in adapters.values():
        await adapter.start()


async def leave_startup_out_of_collections(app: web.Application) -> None:
    """What start-up made lives as long as the process: out of the collector's sight, a full
    collection walks only what turns make (about 70 ms a time otherwise, a pause for every chat).
    For the gateway process only (``main``): in a test process it would keep every app's garbage."""
    gc.collect()
    gc.freeze()


async def stop_sending(app: web.Application) -> None:
    """The message being sent to each chat goes out; what waits stays queued for another process."""
    await app[SEND_QUEUES].stop()


async def stop_channels(app: web.Application) -> None:
    for adapter in app[ADAPTERS].values():
        await adapter.stop()


async def close_clients(app: web.Application) -> None:
    await app[CALLBACKS].close()
    await app[RASA].close()
    await app[HEALTH].close()
    await app[REDIS].aclose()


def lifecycle(settings: GatewaySettings) -> list[tuple[str, Any]]:
    """(the app's signal, its handler), in the order they run; a cleanup context runs from the
    start of ``on_startup`` to the start of ``on_cleanup``."""
    return [
        ("cleanup_ctx", watch_cases(settings.case_poll_seconds)),
        ("on_startup", publish_content(settings.publish_content_on_start)),
        ("on_startup", start_channels),
        ("on_startup", worker.start_delivering),  # once channels can send
        ("on_shutdown", worker.stop_delivering),
        ("on_shutdown", stop_sending),
        ("on_cleanup", stop_channels),
        ("on_cleanup", close_clients),
    ]


def channel_adapters(
    router: Router, queues: ChatQueues, replies: Replies, public_url: str, voice: VoiceMaker | None = None
) -> dict[str, Adapter]:
    """The messengers and Rubika that config/channels.yml gives a token, by channel name."""
    adapters: dict[str, Adapter] = {
        profile.name: messenger.MessengerAdapter(profile, router, queues, replies, public_url, voice)
        for profile in messenger.load_profiles()
    }
    rubika_profile = rubika.load_profile()
    if rubika_profile is not None:
        adapters[rubika.CHANNEL] = rubika.RubikaAdapter(rubika_profile, router, queues, replies, public_url, voice)
    return adapters


def setup_voice(app: web.Application, settings: GatewaySettings, redis: aioredis.Redis) -> VoiceMaker:
    """Replies as voice: the maker and its signed links (after the web chat's setup: its key signs them)."""
    maker = VoiceMaker(
        Path(settings.voice_cache_dir) if settings.voice_cache_dir else DEFAULT_CACHE, settings.voice_cache_mb << 20
    )
    signer = app[WEB_CONFIG].sessions.signer(voice_links.SALT)
    app[VOICE_LINKS] = voice_links.VoiceLinks(redis, signer, maker, int(settings.voice_link_hours * 3600), settings.public_url)
    if not maker.engine.available():
        logger.warning("espeak-ng or opusenc is not installed: replies are not offered as voice")
    return maker


def create_app(settings: GatewaySettings) -> web.Application:
    app = web.Application(client_max_size=64 * 1024)
    # redis-py refuses a command once its pool is full (100 by default); this pool waits instead.
    redis = aioredis.Redis.from_pool(
        aioredis.BlockingConnectionPool.from_url(
            settings.redis_url,
            decode_responses=True,
            max_connections=settings.redis_max_connections,
            timeout=settings.redis_pool_wait_seconds,
            connection_class=redis_connection.Connection,  # a write without a task (a rediss:// URL: TLS's own)
        )
    )
    replies = app[REPLIES] = Replies()
    app[REDIS] = redis
    app[RASA] = RasaClient(
        settings.rasa_url, settings.rasa_channel_token, settings.turn_timeout_seconds, settings.ticket_lock_lifetime
    )
    desk = handoffs.open_desk(app, redis)  # one database (migrated at start-up), queue and clock
    divert = handoffs.setup(app, desk, redis, replies)  # the call-centre desk's side of each turn
    router = app[ROUTER] = Router(
        redis, app[RASA], replies, settings.rasa_turns_in_flight * len(app[RASA].servers), divert=divert
    )
    app[OUTBOX] = Outbox(redis)
    app[REPLAYS] = ReplayGuard(redis)
    webchat.setup(app, settings, redis)
    desk_web.setup(app, settings, redis, desk, app.get(HANDOFFS))  # the staff desk under /desk
    router.codes = CodeDoor(redis, desk.sessions, desk.settings, desk.now)  # handoff codes agents give callers
    app[SOURCES] = generic.load_sources()
    app[CALLBACKS] = generic.CallbackSender()
    app[NUMBERED] = NumberedOptions(redis)
    queues = app[SEND_QUEUES] = ChatQueues(
        redis, pace_seconds=settings.chat_pace_seconds, bot_per_second=settings.bot_messages_per_second
    )
    maker = setup_voice(app, settings, redis)
    app[ADAPTERS] = channel_adapters(router, queues, replies, settings.public_url, maker)
    # «🔊 بشنوید» where a citizen can play a voice message.
    playing = {webchat.CHANNEL, *app[ADAPTERS]} if maker.engine.available() else set()
    router.voice = VoiceOffer(redis, replies, router.buttons, playing)
    router.recogniser = recogniser_from_env()  # what a citizen's voice message said, if anything
    app.on_cleanup.append(lambda _app: router.recogniser.close())  # its worker process, if it started one
    app[DELIVERER] = Deliverer(router, app[OUTBOX], queues, app[ADAPTERS], app[SOURCES], app[CALLBACKS], app[NUMBERED], replies)
    app[SUBSCRIPTIONS] = SubscriptionStore(redis)
    # Subscriptions written down in the database (put back when Redis lost them); the daily retention purge.
    app.cleanup_ctx.append(housekeeping(desk, redis, app[SUBSCRIPTIONS]))
    app[CATALOG] = CatalogFile()
    app[HEALTH] = health.HealthProbe(
        redis, app[RASA], url_list(settings.actions_url), app[CATALOG], settings.health_cache_seconds
    )
    app[ADMIN_TOKEN] = settings.hamyar_admin_token
    app[ANNOUNCEMENT_CHANNELS] = announcements.load_channels()
    # Case changes and announcements go through a Redis stream: sent at least once, never twice.
    app[NOTICES] = NoticeQueue(redis, retry_seconds=settings.notice_retry_seconds)
    app[JOBS] = announcements.AnnouncementJobs(redis)
    for signal, handler in lifecycle(settings):
        getattr(app, signal).append(handler)
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
    return app


def main() -> None:
    from connectors.required_secrets import missing_secrets

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # httpx (python-telegram-bot's client) logs each request's URL at INFO: a Bot API URL holds the bot's token.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    missing = missing_secrets()
    if missing:
        logger.warning("configured sources without their secret (off, or answered 404, until it is set): %s", ", ".join(missing))
    settings = GatewaySettings()  # type: ignore[call-arg]  # required values come from the environment
    # No access log: URLs are harmless, but quieter logs are easier to keep free of personal data.
    app = create_app(settings)
    app.on_startup.append(leave_startup_out_of_collections)  # after every other start-up step
    # uvloop: the event loop's own work (selectors, callbacks, transports) in C. Every turn is a
    # dozen socket writes and reads here (the webhook, Redis, Rasa, the reply): issue 26.
    loop = uvloop.new_event_loop()
    web.run_app(app, host=settings.gateway_host, port=settings.gateway_port, access_log=None, print=None, loop=loop)


if __name__ == "__main__":
    main()
