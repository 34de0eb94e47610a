"""The call-centre desk inside the gateway: its handoff service (desk/handoff.py) and the
router's divert (desk/divert.py), on the desk's runtime (desk/runtime.py: one database, brought
to the latest migration at start-up, one queue, one clock) that the staff pages share.

Off when ``HAMYAR_DATA_KEY`` is not set (the runtime has warned): transcripts and phones are kept
only sealed, so without a key the citizen keeps the call centre's number instead.
"""

from __future__ import annotations

import uuid
from typing import Optional

import redis.asyncio as aioredis
from aiohttp import web

from connectors.keys import DELIVERER, HANDOFFS, ROUTER
from connectors.models import InboundMessage, OutboundMessage
from content.replies import Replies
from desk.callback import CallbackFlow
from desk.divert import HandoffDivert
from desk.handoff import HandoffService
from desk.recent import RecentTurns
from desk.runtime import DeskRuntime, open_runtime

# The bot's turn after a hand-back comes from the desk, not from a person in the chat.
DESK_USER = "desk"


class GatewayOutlet:
    """How the desk reaches citizens: through the gateway's delivery and router, looked up when
    used (both are made after the desk)."""

    def __init__(self, app: web.Application) -> None:
        self._app = app

    def reachable(self, conversation_id: str) -> bool:
        return self._app[DELIVERER].reachable(conversation_id)

    async def send(self, conversation_id: str, messages: list[OutboundMessage]) -> bool:
        return await self._app[DELIVERER].send(conversation_id, messages)

    async def resume(self, conversation_id: str, payload: str) -> None:
        """One turn of the bot with an internal payload, its replies sent as any later message."""
        channel, _, chat_id = conversation_id.partition(":")
        message = InboundMessage(
            channel=channel, chat_id=chat_id, user_id=DESK_USER, message_id=f"desk-{uuid.uuid4().hex}", internal_payload=payload
        )
        replies = await self._app[ROUTER].handle(message)
        if replies:
            await self.send(conversation_id, replies)


def open_desk(app: web.Application, redis: aioredis.Redis) -> DeskRuntime:
    """The desk's runtime, once for the gateway: its database is migrated at start-up, before any
    other start-up step (a cleanup context of the gateway's app runs first) and closed last."""
    runtime = open_runtime(redis)
    app.cleanup_ctx.append(runtime.lifespan)
    return runtime


def setup(app: web.Application, runtime: DeskRuntime, redis: aioredis.Redis, replies: Replies) -> Optional[HandoffDivert]:
    """The desk's service on the app (``HANDOFFS``) and the divert for the router; None when off."""
    if runtime.queue is None or runtime.sealer is None:
        return None
    handoffs = app[HANDOFFS] = HandoffService(
        runtime.queue, runtime.sessions, runtime.config, runtime.sealer, GatewayOutlet(app), runtime.now
    )
    flow = CallbackFlow(redis, runtime.sessions, runtime.config, runtime.sealer, replies, handoffs.now)
    return HandoffDivert(handoffs, flow, redis, replies, RecentTurns(redis, runtime.sealer))
