"""The one path every channel's message takes: dedup, one turn per conversation, Rasa, render.

Pure routing with its I/O behind small classes; channel adapters only translate to and from
``InboundMessage`` / ``OutboundMessage``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from typing import TYPE_CHECKING, Awaitable, Callable, Optional

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

from connectors.buttons import ButtonRegistry
from connectors.dedup import Claim, Deduplicator
from connectors.heard import PAYLOADS as HEARD_PAYLOADS
from connectors.heard import Confirmation
from connectors.lanes import Lane, Lanes
from connectors.models import InboundMessage, OutboundMessage, OutButton
from connectors.rasa_client import RasaClient, RasaError
from connectors.rendering import Part, fold_turn, rasa_to_parts
from connectors.speech_in import NoRecogniser, Recogniser, TooLong, heard
from connectors.voice_offer import PAYLOADS as VOICE_PAYLOADS
from connectors.voice_offer import VoiceOffer
from content.replies import Replies
from nlu.logtag import conversation_tag
from nlu.persian import persian_digits

if TYPE_CHECKING:
    from desk.codes import CodeDoor
    from desk.divert import HandoffDivert

logger = logging.getLogger("gateway")
MAX_TEXT = 4096
# Adds the commands that queue a turn's replies (conversation, replies) to a transaction.
Keep = Callable[[Pipeline, str, list[OutboundMessage]], object]


class Router:
    def __init__(
        self,
        redis: aioredis.Redis,
        rasa: RasaClient,
        replies: Replies,
        turns_in_flight: int = 0,
        divert: Optional[HandoffDivert] = None,
    ) -> None:
        self.buttons = ButtonRegistry(redis)
        self.dedup = Deduplicator(redis)
        self.lanes = Lanes(redis)
        self._rasa = rasa
        self._replies = replies
        self._locks: "weakref.WeakValueDictionary[str, asyncio.Lock]" = weakref.WeakValueDictionary()
        # Backpressure: at most this many turns of this gateway at Rasa at once; the others wait
        # here, first come first served, rather than inside Rasa, where every turn in flight slows
        # down together until they all time out (0: no limit).
        self._at_rasa = asyncio.Semaphore(turns_in_flight) if turns_in_flight > 0 else None
        # The call-centre desk (desk/divert.py): conversations with it do not reach Rasa.
        self._divert = divert
        # Reads call-centre agents' handoff codes (desk/codes.py); set by the gateway.
        self.codes: Optional[CodeDoor] = None
        # «🔊 بشنوید» and «همیشه صوتی» (connectors/voice_offer.py); set by the gateway.
        self.voice: Optional[VoiceOffer] = None
        # What a voice message said (connectors/speech_in.py); the gateway sets the configured one.
        self.recogniser: Recogniser = NoRecogniser()
        # Its words wait for the citizen's «بله، همین» before they are acted on (connectors/heard.py).
        self.heard = Confirmation(redis, replies)

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
        keep: Optional[Keep] = None,
    ) -> Optional[list[OutboundMessage]]:
        """The replies to one inbound message, or None for a duplicate already handled.

        ``on_accepted`` runs once the message is known not to be a duplicate, in turn order.
        ``keep`` queues the replies for sending in the same transaction that marks the message
        handled, still in turn order, so every turn's replies queue behind the turn before.
        """
        conversation = message.conversation_id
        # Taken before anything is awaited: this process's messages of a conversation keep the
        # order they came in (asyncio locks are fair); the lane then keeps it across processes. The
        # lane comes before the duplicate check: a copy of a message still being answered elsewhere
        # waits for it, so the message after it cannot overtake it while the copy is answered.
        # The duplicate check is the lane's mark: set in the round trip that takes the lane.
        mark = self.dedup.mark(conversation, message.message_id)
        async with self._lock(conversation), self.lanes.turn(conversation, mark) as lane:
            claim = self.dedup.claim_from(lane.marked, lane.found)
            if claim is not Claim.NEW:
                logger.info("duplicate dropped conversation=%s state=%s", conversation_tag(conversation), claim.value)
                return None
            # The turn's writes (its buttons, the desk's transcript, the message marked handled,
            # its replies queued) wait here and go to Redis together, the lane left with them: the
            # turn's last round trip.
            async with self.dedup.pipeline() as writes:
                try:
                    if on_accepted is not None:
                        await on_accepted()
                    try:
                        replies = await self._turn(message, text_limit, writes)
                    except RasaError as error:
                        logger.error("turn failed conversation=%s error=%s", conversation_tag(conversation), error)
                        # Not marked done: the messenger's retry, or the citizen resending, goes through.
                        await self.dedup.release(conversation, message.message_id)
                        replies = await self._gateway_reply(conversation, "gateway_error", writes)
                        await self._finish(lane, writes, conversation, replies, keep)
                        return replies
                    kept = json.dumps([r.model_dump() for r in replies], ensure_ascii=False)
                    await self._finish(lane, writes, conversation, replies, keep, message.message_id, kept)
                except BaseException:
                    await self.dedup.release(conversation, message.message_id)
                    raise
        return replies

    async def _finish(
        self,
        lane: Lane,
        writes: Pipeline,
        conversation: str,
        replies: list[OutboundMessage],
        keep: Optional[Keep],
        message_id: str = "",
        kept: str = "",
    ) -> None:
        """Mark the message handled (when ``message_id``) and queue its replies, with the turn's
        other writes, at once, and leave the lane."""
        if message_id:
            self.dedup.done_in(writes, conversation, message_id, kept)
        if keep is not None:
            keep(writes, conversation, replies)
        await lane.leave_with(writes)

    async def _turn(self, message: InboundMessage, text_limit: int, writes: Pipeline) -> list[OutboundMessage]:
        conversation = message.conversation_id
        if message.kind == "unsupported":
            logger.info("not text conversation=%s", conversation_tag(conversation))
            return await self._gateway_reply(conversation, "gateway_unsupported", writes)
        if message.kind == "voice":
            return await self._voice(message, writes)
        payload = message.internal_payload
        said = message.text  # what the citizen said, as the desk's transcript shows it
        if message.button_id:
            button = await self.buttons.resolve(conversation, message.button_id)
            if button is None:
                return await self._gateway_reply(conversation, "gateway_button_expired", writes)
            payload, said = button["payload"], button["title"]
            if self.voice is not None and payload in VOICE_PAYLOADS:
                return await self.voice.press(message, payload, self.render)
            if payload in HEARD_PAYLOADS:
                words, reply = await self.heard.answer(conversation, payload)
                if words is None:  # heard by a citizen who may read poorly: offered aloud too
                    return await self._dressed(
                        message, await self._gateway_reply(conversation, reply or "heard_gone", writes), writes
                    )
                # Confirmed: on as if the citizen had typed the words.
                message = message.model_copy(update={"text": words, "button_id": None})
                payload, said = None, words
        if payload is None and self.codes is not None:
            # A handoff code opens its payload here; a wrong one is answered here, never by Rasa.
            opened = await self.codes.read(message)
            if opened is not None and opened.reply:
                return await self._gateway_reply(conversation, opened.reply, writes, **opened.values)
            payload = opened.payload if opened else None
        text = message.text
        if payload is None and not (text and text.strip()) and message.verified_phone:
            # A shared contact with no words: the citizen has, in effect, said their number.
            text = said = message.verified_phone
        if payload is None:
            if not text or not text.strip():
                return await self._gateway_reply(conversation, "gateway_empty", writes)
            if len(text) > MAX_TEXT:
                logger.info("message too long conversation=%s length=%d", conversation_tag(conversation), len(text))
                return await self._gateway_reply(conversation, "gateway_too_long", writes, limit=persian_digits(MAX_TEXT))
        if self._divert is not None:
            diverted = await self._divert.before_rasa(message, said, payload)
            if diverted is not None:
                return await self.render(conversation, diverted, writes=writes)
        # The person inside the conversation: what they prove is theirs alone (actions/trust.py).
        metadata: dict = {"channel": message.channel, "user_id": message.user_id}
        if message.group:
            metadata["chat_type"] = "group"
            if message.private_link:
                metadata["private_link"] = message.private_link
        if message.verified_phone:
            metadata["verified_phone"] = message.verified_phone
        async with self._at_rasa or contextlib.nullcontext():
            messages = await self._rasa.turn(conversation, message.message_id, text, payload, metadata)
        parts = rasa_to_parts(messages, text_limit)
        if self._divert is not None:
            parts = await self._divert.after_rasa(message, said, parts, writes)
        return await self._dressed(message, await self.render(conversation, parts, text_limit, writes), writes)

    async def _dressed(self, message: InboundMessage, replies: list[OutboundMessage], writes: Pipeline) -> list[OutboundMessage]:
        """The replies with «🔊 بشنوید» (or said aloud, for a citizen who asked always to hear)."""
        return await self.voice.dress(message, replies, writes) if self.voice is not None else replies

    async def _voice(self, message: InboundMessage, writes: Pipeline) -> list[OutboundMessage]:
        """A voice message: the kind answer when nothing was heard, else what was heard, to confirm;
        either can be heard, as whoever speaks may read poorly. Rasa gets no turn here."""
        conversation = message.conversation_id
        try:
            words = await heard(self.recogniser, message)
        except TooLong:
            return await self._dressed(message, await self._gateway_reply(conversation, "gateway_voice_too_long", writes), writes)
        if words is None:
            return await self._dressed(message, await self._gateway_reply(conversation, "gateway_voice", writes), writes)
        question = await self.heard.ask(conversation, words)
        replies = await self.render(conversation, [(question["text"], question["buttons"], question["custom"])], writes=writes)
        return await self._dressed(message, replies, writes)

    async def render(
        self, conversation: str, parts: list[Part], text_limit: int = MAX_TEXT, writes: Optional[Pipeline] = None
    ) -> list[OutboundMessage]:
        """A turn's parts as messages for the citizen. Every reply passes here, whoever made it
        (Rasa, the desk, the gateway), so here a turn becomes at most two messages. Their buttons
        are registered by ``writes`` when given (the turn's transaction), else at once."""
        out = []
        for text, buttons, hints in fold_turn(parts, text_limit):
            if writes is not None:
                ids = self.buttons.register_in(writes, conversation, buttons)
            else:
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

    async def _gateway_reply(self, conversation: str, key: str, writes: Pipeline, **values: str) -> list[OutboundMessage]:
        reply = self._replies.render(key, (), **values)
        return await self.render(conversation, [(reply["text"], reply["buttons"], reply["custom"])], writes=writes)
