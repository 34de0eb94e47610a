"""Sending to a conversation later, on whatever channel it lives: notices, announcements, staff.

The conversation id says the channel (``web:…``, ``telegram:…``, ``rubika:…``, ``sms:…``).
"""

from __future__ import annotations

import logging
from typing import Protocol

from connectors.generic import CallbackSender, GenericSource, render
from connectors.models import OutboundMessage
from connectors.numbered import NumberedOptions
from connectors.outbox import Outbox
from connectors.router import Router
from connectors.sendqueue import ChatQueues, ChatTransport
from content.replies import Replies
from nlu.logtag import conversation_tag

logger = logging.getLogger("gateway.delivery")


class Adapter(ChatTransport, Protocol):
    """A channel the gateway starts, stops and sends through (messengers, Rubika)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Deliverer:
    def __init__(
        self,
        router: Router,
        outbox: Outbox,
        queues: ChatQueues,
        adapters: dict[str, Adapter],
        sources: dict[str, GenericSource],
        callbacks: CallbackSender,
        numbered: NumberedOptions,
        replies: Replies,
    ) -> None:
        self._router = router
        self._outbox = outbox
        self._queues = queues
        self._adapters = adapters
        self._numbered = numbered
        self._sources = sources
        self._callbacks = callbacks
        self._replies = replies

    async def say(self, conversation_id: str, key: str, **values: str) -> bool:
        """A reply of bot/replies.yml, with its buttons, to one conversation."""
        reply = self._replies.render(key, (), **values)
        messages = await self._router.render(conversation_id, [(reply["text"], reply["buttons"], reply["custom"])])
        return await self.send(conversation_id, messages)

    def reachable(self, conversation_id: str) -> bool:
        """Whether a message can reach the conversation later, not only as a turn's answer (a
        generic source without a callback URL hears only answers to what it sends)."""
        channel = conversation_id.partition(":")[0]
        source = self._sources.get(channel)
        return channel == "web" or channel in self._adapters or (source is not None and bool(source.callback_url))

    async def send(self, conversation_id: str, messages: list[OutboundMessage]) -> bool:
        channel, _, chat_id = conversation_id.partition(":")
        if channel != "web":
            # Only the web chat shows a person's words in a bubble of their own, signed.
            messages = [self._signed(message) for message in messages]
        if channel == "web":
            for message in messages:
                await self._outbox.put(conversation_id, message)
            return True
        if channel in self._adapters:
            # Behind whatever the chat's turns have queued: a notice never cuts into an answer.
            return await self._queues.send(conversation_id, messages)
        source = self._sources.get(channel)
        if source is not None and source.callback_url:
            if not source.buttons:
                # A digit sent back picks from this notice's options, not the menu before it.
                await self._numbered.remember(conversation_id, messages)
            hint = self._replies.render("numbered_hint")["text"]
            # Awaited: a notice whose callback failed is tried again (notifications/queue.py).
            return await self._callbacks.deliver(source, render(source, conversation_id, messages, hint))
        logger.warning("no way to reach conversation=%s channel=%s", conversation_tag(conversation_id), channel)
        return False

    def _signed(self, message: OutboundMessage) -> OutboundMessage:
        if message.agent_name is None:
            return message
        text = self._replies.render("agent_words", name=message.agent_name, text=message.text)["text"]
        return message.model_copy(update={"text": text})
