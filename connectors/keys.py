"""Every key of the gateway app, in one place: what ``create_app`` puts in and handlers read.

The types are for checkers only, so this module imports nothing at run time and any module of
the gateway (or of notifications) can import it without a cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from agencies.catalog import CatalogFile
    from agencies.subscriptions import SubscriptionStore
    from connectors.delivery import Adapter, Deliverer
    from connectors.generic import CallbackSender, GenericSource
    from connectors.health import HealthProbe
    from connectors.numbered import NumberedOptions
    from connectors.outbox import Outbox
    from connectors.rasa_client import RasaClient
    from connectors.router import Router
    from connectors.sendqueue import ChatQueues
    from connectors.signing import ReplayGuard
    from connectors.voice_links import VoiceLinks
    from connectors.web import WebConfig
    from content.replies import Replies
    from desk.handoff import HandoffService
    from notifications.announcements import AnnouncementChannel, AnnouncementJobs
    from notifications.queue import NoticeQueue

# The process's shared clients and the one path every message takes.
REDIS: web.AppKey[aioredis.Redis] = web.AppKey("redis")
RASA: web.AppKey[RasaClient] = web.AppKey("rasa")
ROUTER: web.AppKey[Router] = web.AppKey("router")
HEALTH: web.AppKey[HealthProbe] = web.AppKey("health")
REPLIES: web.AppKey[Replies] = web.AppKey("replies")
# A signed request (generic webhook, agency callback) is let in once: read_signed refuses a
# replay when the app has this guard.
REPLAYS: web.AppKey[ReplayGuard] = web.AppKey("replay_guard")
VOICE_LINKS: web.AppKey[VoiceLinks] = web.AppKey("voice_links")

# Channels: messenger and Rubika adapters by channel name, generic webhook sources, web chat.
ADAPTERS: web.AppKey[dict[str, Adapter]] = web.AppKey("channel_adapters")
SOURCES: web.AppKey[dict[str, GenericSource]] = web.AppKey("generic_sources")
CALLBACKS: web.AppKey[CallbackSender] = web.AppKey("generic_callbacks")
NUMBERED: web.AppKey[NumberedOptions] = web.AppKey("numbered")
OUTBOX: web.AppKey[Outbox] = web.AppKey("outbox")
WEB_CONFIG: web.AppKey[WebConfig] = web.AppKey("web_config")
KEEPALIVE: web.AppKey[float] = web.AppKey("keepalive")

# Notices: case updates from agencies, announcements, and the worker that sends them.
DELIVERER: web.AppKey[Deliverer] = web.AppKey("deliverer")
SEND_QUEUES: web.AppKey[ChatQueues] = web.AppKey("send_queues")
SUBSCRIPTIONS: web.AppKey[SubscriptionStore] = web.AppKey("subscriptions")
CATALOG: web.AppKey[CatalogFile] = web.AppKey("catalog")
NOTICES: web.AppKey[NoticeQueue] = web.AppKey("notices")
ADMIN_TOKEN: web.AppKey[str] = web.AppKey("admin_token")
ANNOUNCEMENT_CHANNELS: web.AppKey[list[AnnouncementChannel]] = web.AppKey("announcement_channels")
JOBS: web.AppKey[AnnouncementJobs] = web.AppKey("announcement_jobs")
NOTICE_WORKER: web.AppKey[tuple] = web.AppKey("notice_worker")

# The call-centre desk's handoffs (connectors/handoffs.py), for the staff pages; absent when it is off.
HANDOFFS: web.AppKey[HandoffService] = web.AppKey("handoffs")
