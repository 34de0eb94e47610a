"""«🔊 بشنوید» on every answer, and the citizen's «همیشه صوتی» setting: the gateway's, not Rasa's.

On a channel that can play audio, the last message of each Rasa turn gets the «🔊 بشنوید»
button; pressing it sends that turn's words as voice. «همیشه صوتی» (offered with the voice) makes
every later answer carry its voice, until «فقط نوشته». The setting is kept per channel user (not
per conversation), in Redis for ``ALWAYS_TTL_SECONDS`` after it was last set: it outlives sessions
and trackers, and nothing else is known about the person.
"""

from __future__ import annotations

from typing import Awaitable, Callable, Optional

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

from connectors.buttons import TTL_SECONDS as BUTTON_TTL_SECONDS
from connectors.buttons import ButtonRegistry
from connectors.models import InboundMessage, OutboundMessage, OutButton
from content.replies import Replies

REPLAY, ALWAYS, TEXT_ONLY = "/voice_replay", "/voice_always", "/voice_text_only"
PAYLOADS = (REPLAY, ALWAYS, TEXT_ONLY)
ALWAYS_TTL_SECONDS = 365 * 24 * 3600
# The words of a conversation's last turn, for «🔊 بشنوید»: as long as its button lives.
LAST_TTL_SECONDS = BUTTON_TTL_SECONDS
Render = Callable[[str, list[tuple[str, list[dict], dict]]], Awaitable[list[OutboundMessage]]]


def _always_key(message: InboundMessage) -> str:
    return f"hamyar:voice:always:{message.channel}:{message.user_id}"


def _last_key(conversation_id: str) -> str:
    return f"hamyar:voice:last:{conversation_id}"


def turn_words(replies: list[OutboundMessage]) -> str:
    """What a turn said, for one voice message: the bot's texts, a sentence break between them."""
    return "\n".join(r.text for r in replies if r.text.strip() and r.agent_name is None)


class VoiceOffer:
    def __init__(self, redis: aioredis.Redis, replies: Replies, buttons: ButtonRegistry, channels: set[str]) -> None:
        self._redis = redis
        self._replies = replies
        self._buttons = buttons
        # Channels whose citizens can play a voice message (messengers, Rubika, the web chat).
        self.channels = channels

    def _button(self, payload: str) -> dict:
        return self._replies.buttons("voice_buttons", [payload])[0]

    async def always(self, message: InboundMessage) -> bool:
        return bool(await self._redis.exists(_always_key(message)))

    async def dress(self, message: InboundMessage, replies: list[OutboundMessage], writes: Pipeline) -> list[OutboundMessage]:
        """A turn's replies with the offer on the last (or, when always, the voice and «فقط نوشته»).
        What it keeps is written by ``writes``, the turn's transaction."""
        words = turn_words(replies)
        if message.channel not in self.channels or not words or replies[-1].request_contact:
            return replies
        conversation = message.conversation_id
        always = await self.always(message)
        button = self._button(TEXT_ONLY if always else REPLAY)
        writes.set(_last_key(conversation), words, ex=LAST_TTL_SECONDS)
        (button_id,) = self._buttons.register_in(writes, conversation, [button])
        last = replies[-1]
        update: dict = {"buttons": [*last.buttons, OutButton(id=button_id, title=button["title"])]}
        if always:
            update["speak"] = words
        return [*replies[:-1], last.model_copy(update=update)]

    async def press(self, message: InboundMessage, payload: str, render: Render) -> list[OutboundMessage]:
        """The answer to one of the offer's buttons (``payload`` in ``PAYLOADS``)."""
        if payload == REPLAY:
            words = await self._redis.get(_last_key(message.conversation_id))
            if not words:
                return await self._reply(message, "voice_gone", render)
            always = await self.always(message)
            (voice,) = await render(message.conversation_id, [("", [] if always else [self._button(ALWAYS)], {})])
            return [voice.model_copy(update={"speak": words})]
        if payload == ALWAYS:
            await self._redis.set(_always_key(message), "1", ex=ALWAYS_TTL_SECONDS)
            (said,) = await self._reply(message, "voice_always_on", render, self._button(TEXT_ONLY))
            return [said.model_copy(update={"speak": said.text})]
        await self._redis.delete(_always_key(message))
        return await self._reply(message, "voice_always_off", render)

    async def _reply(
        self, message: InboundMessage, key: str, render: Render, button: Optional[dict] = None
    ) -> list[OutboundMessage]:
        reply = self._replies.render(key)
        return await render(message.conversation_id, [(reply["text"], [button] if button else [], {})])
