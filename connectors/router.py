"""The one path every channel's message takes: dedup, one turn per conversation, Rasa, render.

Pure routing with its I/O behind small classes; channel adapters only translate to and from
``InboundMessage`` / ``OutboundMessage``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from typing import Awaitable, Callable, Optional

import redis.asyncio as aioredis

from connectors.buttons import ButtonRegistry
from connectors.dedup import Claim, Deduplicator
from connectors.models import InboundMessage, OutboundMessage, OutButton
from connectors.rasa_client import RasaClient, RasaError
from connectors.rendering import rasa_to_parts
from content.replies import Replies
from nlu.logtag import conversation_tag
from nlu.persian import persian_digits

logger = logging.getLogger("gateway")
MAX_TEXT = 4096


class Router:
    def __init__(self, redis: aioredis.Redis, rasa: RasaClient, replies: Replies) -> None:
        self.buttons = ButtonRegistry(redis)
        self.dedup = Deduplicator(redis)
        self._rasa = rasa
        self._replies = replies
        self._locks: "weakref.WeakValueDictionary[str, asyncio.Lock]" = weakref.WeakValueDictionary()

    def _lock(self, conversation_id: str) -> asyncio.Lock:
        lock = self._locks.get(conversation_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[conversation_id] = lock
        return lock

    async def handle(
        self,
        message: InboundMessage,
        text_limit: int = MAX_TEXT,
        on_accepted: Optional[Callable[[], Awaitable[None]]] = None,
    ) -> Optional[list[OutboundMessage]]:
        """The replies to one inbound message, or None for a duplicate already handled.

        ``on_accepted`` runs once the message is known not to be a duplicate, in turn order.
        """
        conversation = message.conversation_id
        claim = await self.dedup.claim(conversation, message.message_id)
        if claim is not Claim.NEW:
            logger.info("duplicate dropped conversation=%s state=%s", conversation_tag(conversation), claim.value)
            return None
        # One turn in flight per conversation, in arrival order (asyncio locks are fair).
        async with self._lock(conversation):
            try:
                if on_accepted is not None:
                    await on_accepted()
                replies = await self._turn(message, text_limit)
            except RasaError as error:
                logger.error("turn failed conversation=%s error=%s", conversation_tag(conversation), error)
                # Not marked done: the messenger's retry, or the citizen resending, goes through.
                await self.dedup.release(conversation, message.message_id)
                return await self._gateway_reply(conversation, "gateway_error")
            except BaseException:
                await self.dedup.release(conversation, message.message_id)
                raise
        await self.dedup.done(conversation, message.message_id, json.dumps([r.model_dump() for r in replies], ensure_ascii=False))
        return replies

    async def undelivered(self, message: InboundMessage) -> Optional[list[OutboundMessage]]:
        """The kept replies of a handled message that have not reached the citizen yet; None
        when none were kept (the turn failed, or is still running)."""
        conversation = message.conversation_id
        stored = await self.dedup.result(conversation, message.message_id)
        if stored is None:
            return None
        sent = await self.dedup.delivered_count(conversation, message.message_id)
        return [OutboundMessage.model_validate(r) for r in json.loads(stored)[sent:]]

    async def delivered(self, message: InboundMessage) -> None:
        """One more reply of ``message`` reached the citizen."""
        await self.dedup.delivered(message.conversation_id, message.message_id)

    async def answer(
        self, message: InboundMessage, send: Callable[[list[OutboundMessage]], Awaitable[bool]], text_limit: int
    ) -> bool:
        """For a channel that sends after answering: route, then ``send`` the replies one at a
        time, counting each that arrives, so a retry of the message sends only those after the
        last that did (none twice, none lost). False when one could not be sent, or when another
        attempt is sending them now (the messenger tries again later)."""
        conversation, message_id = message.conversation_id, message.message_id
        replies = await self.handle(message, text_limit=text_limit)
        if not await self.dedup.start_sending(conversation, message_id):
            logger.info("already sending conversation=%s", conversation_tag(conversation))
            return False
        try:
            # Read once sending is ours: an attempt that sent before us has counted its replies.
            unsent = await self.undelivered(message)
            if unsent is None:  # not kept (the turn failed and may be tried again): nothing to count
                return await send(replies) if replies else True
            for reply in unsent:
                if not await send([reply]):
                    return False
                await self.delivered(message)
            return True
        finally:
            await self.dedup.stop_sending(conversation, message_id)

    async def _turn(self, message: InboundMessage, text_limit: int) -> list[OutboundMessage]:
        conversation = message.conversation_id
        if message.kind == "unsupported":
            return await self._gateway_reply(conversation, "gateway_unsupported")
        payload = message.internal_payload
        if message.button_id:
            button = await self.buttons.resolve(conversation, message.button_id)
            if button is None:
                return await self._gateway_reply(conversation, "gateway_button_expired")
            payload = button["payload"]
        text = message.text
        if payload is None and not (text and text.strip()) and message.verified_phone:
            # A shared contact with no words: the citizen has, in effect, said their number.
            text = message.verified_phone
        if payload is None:
            if not text or not text.strip():
                return await self._gateway_reply(conversation, "gateway_empty")
            if len(text) > MAX_TEXT:
                logger.info("message too long conversation=%s length=%d", conversation_tag(conversation), len(text))
                return await self._gateway_reply(conversation, "gateway_too_long", limit=persian_digits(MAX_TEXT))
        # The person inside the conversation: what they prove is theirs alone (actions/trust.py).
        metadata: dict = {"channel": message.channel, "user_id": message.user_id}
        if message.group:
            metadata["chat_type"] = "group"
            if message.private_link:
                metadata["private_link"] = message.private_link
        if message.verified_phone:
            metadata["verified_phone"] = message.verified_phone
        messages = await self._rasa.turn(conversation, message.message_id, text, payload, metadata)
        return await self.render(conversation, rasa_to_parts(messages, text_limit))

    async def render(self, conversation: str, parts: list[tuple[str, list[dict], dict]]) -> list[OutboundMessage]:
        out = []
        for text, buttons, hints in parts:
            ids = await self.buttons.register(conversation, buttons)
            out.append(
                OutboundMessage(
                    text=text,
                    buttons=[OutButton(id=i, title=b["title"]) for i, b in zip(ids, buttons)],
                    request_contact=bool(hints.get("request_contact")),
                    clear_history=bool(hints.get("clear_history")),
                )
            )
        return out

    async def _gateway_reply(self, conversation: str, key: str, **values: str) -> list[OutboundMessage]:
        reply = self._replies.render(key, (), **values)
        return await self.render(conversation, [(reply["text"], reply["buttons"], reply["custom"])])
