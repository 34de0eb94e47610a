"""The gateway app: one factory, handlers that only translate HTTP to router calls."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import redis.asyncio as aioredis
from aiohttp import web
from redis.exceptions import ConnectionError as RedisConnectionError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_fixed

from connectors import generic, messenger, rubika
from connectors import web as webchat
from actions.agency.client import AgencyClient
from connectors.delivery import ADAPTERS, Deliverer
from connectors.jsonbody import json_object
from connectors.numbered import NumberedOptions
from connectors.outbox import Outbox
from connectors.rasa_client import RasaClient
from connectors.router import Router
from connectors.settings import GatewaySettings
from connectors.signing import REPLAYS, ReplayGuard
from content.loader import load_articles
from content.replies import Replies
from content.store import ContentStore
from nlu.catalog import CatalogFile
from notifications import agency_updates, announcements, worker
from notifications.queue import NoticeQueue
from notifications.poller import CasePoller
from notifications.store import SubscriptionStore

logger = logging.getLogger("gateway")
MAX_UPDATE = 1024 * 1024


async def messenger_update(request: web.Request) -> web.Response:
    """A Telegram-compatible webhook: answered 200 once handled, 500 to make the messenger retry."""
    adapter = request.app[ADAPTERS].get(request.match_info["name"])
    if not isinstance(adapter, messenger.MessengerAdapter) or not adapter.authentic(
        request.match_info["secret"], request.headers.get("X-Telegram-Bot-Api-Secret-Token")
    ):
        return web.json_response({"error": "not_found"}, status=404)
    if (request.content_length or 0) > MAX_UPDATE:
        return web.json_response({"error": "too_large"}, status=413)
    try:
        update = await json_object(request)
        if not isinstance(update.get("update_id"), int):
            raise ValueError
    except ValueError:
        return web.json_response({"error": "malformed"}, status=400)
    try:
        handled = await adapter.process(update)
    except messenger.MalformedUpdate:
        return web.json_response({"error": "malformed"}, status=400)
    if not handled:
        return web.json_response({"error": "retry"}, status=500)
    return web.json_response({"ok": True})


async def rubika_update(request: web.Request) -> web.Response:
    adapter = request.app[ADAPTERS].get(rubika.CHANNEL)
    if adapter is None or not adapter.authentic(request.match_info["secret"]):
        return web.json_response({"error": "not_found"}, status=404)
    if (request.content_length or 0) > MAX_UPDATE:
        return web.json_response({"error": "too_large"}, status=413)
    try:
        body = await json_object(request)
    except ValueError:
        return web.json_response({"error": "malformed"}, status=400)
    if not await adapter.process(body):
        return web.json_response({"error": "retry"}, status=500)
    return web.json_response({"status": "OK"})
REDIS: web.AppKey[aioredis.Redis] = web.AppKey("redis", aioredis.Redis)
RASA: web.AppKey[RasaClient] = web.AppKey("rasa", RasaClient)


async def health(request: web.Request) -> web.Response:
    try:
        redis_ok = bool(await request.app[REDIS].ping())
    except Exception:
        redis_ok = False
    rasa_ok = await request.app[RASA].healthy()
    status = 200 if redis_ok and rasa_ok else 503
    return web.json_response({"status": "ok" if status == 200 else "degraded", "redis": redis_ok, "rasa": rasa_ok}, status=status)


def create_app(settings: GatewaySettings) -> web.Application:
    app = web.Application(client_max_size=64 * 1024)
    redis = aioredis.from_url(settings.redis_url, decode_responses=True)
    rasa = RasaClient(settings.rasa_url, settings.rasa_channel_token, settings.turn_timeout_seconds)
    app[REDIS] = redis
    app[RASA] = rasa
    app[webchat.ROUTER] = Router(redis, rasa, Replies())
    app[webchat.OUTBOX] = Outbox(redis)
    webchat.setup(app, settings, redis)
    app[generic.SOURCES] = generic.load_sources()
    app[generic.CALLBACKS] = generic.CallbackSender()
    app[generic.NUMBERED] = NumberedOptions(redis)
    app[generic.REPLIES] = Replies()
    app[ADAPTERS] = {
        profile.name: messenger.MessengerAdapter(profile, app[webchat.ROUTER], Replies(), settings.public_url)
        for profile in messenger.load_profiles()
    }
    rubika_profile = rubika.load_profile()
    if rubika_profile is not None:
        app[ADAPTERS][rubika.CHANNEL] = rubika.RubikaAdapter(rubika_profile, app[webchat.ROUTER], Replies(), settings.public_url)

    app[agency_updates.DELIVERER] = Deliverer(
        app[webchat.ROUTER], app[webchat.OUTBOX], app[ADAPTERS], app[generic.SOURCES], app[generic.CALLBACKS], Replies()
    )
    app[agency_updates.SUBSCRIPTIONS] = SubscriptionStore(redis)
    app[agency_updates.CATALOG] = CatalogFile()
    app[announcements.ADMIN_TOKEN] = settings.hamyar_admin_token
    app[announcements.CHANNELS] = announcements.load_channels()
    # Case changes and announcements go through a Redis stream: sent at least once, never twice.
    app[agency_updates.NOTICES] = NoticeQueue(redis, retry_seconds=settings.notice_retry_seconds)
    app[announcements.JOBS] = announcements.AnnouncementJobs(redis)
    # A signed request (generic webhook, agency callback) is let in once: a replay is refused.
    app[REPLAYS] = ReplayGuard(redis)

    async def start_messengers(app: web.Application) -> None:
        for adapter in app[ADAPTERS].values():
            await adapter.start()

    async def case_poller(app: web.Application):
        """Watches cases at agencies that do not call back, for as long as the app runs."""
        catalog = app[agency_updates.CATALOG]
        clients: dict[str, AgencyClient] = {}

        def client_for(agency_id: str) -> AgencyClient:
            if agency_id not in clients:
                clients[agency_id] = AgencyClient(agency_id, catalog.get().agency(agency_id).endpoint)
            return clients[agency_id]

        task = None
        if settings.case_poll_seconds > 0 and any(a.case_updates == "polling" for a in catalog.get().agencies):
            poller = CasePoller(app[agency_updates.SUBSCRIPTIONS], catalog, app[agency_updates.NOTICES], settings.case_poll_seconds, client_for)
            task = asyncio.create_task(poller.run())
        yield
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for client in clients.values():
            await client.close()

    async def stop_messengers(app: web.Application) -> None:
        for adapter in app[ADAPTERS].values():
            await adapter.stop()

    async def publish_content(app: web.Application) -> None:
        # Started beside Redis by the process runner: wait for it rather than fail.
        async for attempt in AsyncRetrying(stop=stop_after_delay(30), wait=wait_fixed(0.5), retry=retry_if_exception_type(RedisConnectionError), reraise=True):
            with attempt:
                await redis.ping()
        if settings.publish_content_on_start:
            changed = await ContentStore(redis).publish(load_articles())
            logger.info("content published changed=%d", changed)

    async def close(app: web.Application) -> None:
        await app[generic.CALLBACKS].close()
        await rasa.close()
        await redis.aclose()

    app.on_startup.append(publish_content)
    app.on_startup.append(start_messengers)
    app.on_startup.append(worker.start_delivering)  # once messengers can send
    app.on_shutdown.append(worker.stop_delivering)
    app.cleanup_ctx.append(case_poller)
    app.on_cleanup.append(stop_messengers)
    app.on_cleanup.append(close)
    app.router.add_get("/health", health)
    app.router.add_post("/webhooks/generic/{source}", generic.receive)
    app.router.add_post("/webhooks/messenger/{name}/{secret}", messenger_update)
    app.router.add_post("/webhooks/rubika/{secret}/{kind:update|inline}", rubika_update)
    app.router.add_post("/webhooks/agency/{agency}/case-updates", agency_updates.case_updates)
    app.router.add_post("/admin/announcements", announcements.post_announcement)
    app.router.add_get("/admin/announcements/{id}", announcements.get_announcement)
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
    settings = GatewaySettings()
    # No access log: URLs are harmless, but quieter logs are easier to keep free of personal data.
    web.run_app(create_app(settings), host=settings.gateway_host, port=settings.gateway_port, access_log=None, print=None)


if __name__ == "__main__":
    main()
