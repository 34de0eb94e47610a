"""The call-back, kept by the gateway with Rasa not involved: a small state machine in Redis.

Offered instead of the queue (outside office hours, a full queue, or a channel that cannot be
written to later): yes or back to the bot, then the phone (a messenger's shared contact needs no
typing), then a preferred time, then a ``Callback`` record with the phone sealed. «لغو» or
«برگشت به همیار» at any step goes back to the bot; a step nobody answers ends with its expiry.
The record's ``reason`` is the handoff's reason and why a call-back was offered instead of the
queue, e.g. ``request_human:closed`` (closed, full or unreachable), for the desk to show.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Optional

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agencies.sealing import Sealer
from content.replies import Replies
from desk.desk_config import DeskConfig
from desk.models import Callback
from desk.office_hours import next_opening
from desk.queue import CHANGES
from desk.wording import BACK_TO_BOT, CALLBACK_YES, CANCEL_WORD, callback_offer, closed_message
from nlu.identifiers import find_numbers, mask, normalize_phone
from nlu.logtag import conversation_tag
from nlu.persian import normalize, persian_digits

logger = logging.getLogger("desk.callback")
# (text, buttons, hints): a reply as the router renders it.
Part = tuple[str, list[dict], dict]

STATE_SECONDS = 30 * 60
_KEY = "hamyar:desk:callback:"
# Payloads of the gateway's own buttons: never sent to Rasa.
YES = "desk:callback:yes"
BACK = "desk:callback:back"
# Why a call-back rather than the queue.
CLOSED, FULL, UNREACHABLE = "closed", "full", "unreachable"
_YES_WORDS = (CALLBACK_YES, "بله", "آره", "باشه")
_BACK_WORDS = (BACK_TO_BOT, CANCEL_WORD)


def compact(text: str) -> str:
    """Words as a citizen may type them: Arabic letters, spaces, half-spaces and marks aside."""
    return re.sub(r"[\W_]", "", normalize(text))


def same(said: Optional[str], *words: str) -> bool:
    return bool(said) and compact(said or "") in {compact(word) for word in words}


def read_phone(text: str) -> Optional[str]:
    """The first Iranian mobile number in a typed message, as ``09xxxxxxxxx``."""
    for span in find_numbers(normalize(text)):
        phone = normalize_phone(span.digits)
        if phone:
            return phone
    return None


@dataclass
class CallbackFlow:
    redis: aioredis.Redis
    sessions: async_sessionmaker[AsyncSession]
    config: DeskConfig
    sealer: Sealer
    replies: Replies
    clock: Callable[[], datetime]

    async def offer(self, conversation_id: str, channel: str, agency: str, reason: str, why: str) -> list[Part]:
        """Offer a call-back: what the citizen is told, and the offer kept for their answer."""
        await self._keep(conversation_id, step="offer", channel=channel, agency=agency, reason=f"{reason}:{why}")
        parts: list[Part] = []
        if why == CLOSED:
            now = self.clock()
            parts.append((closed_message(next_opening(self.config, now), now), [], {}))
        return [*parts, self._offer(why == FULL)]

    def state_in(self, pipe: Pipeline, conversation_id: str) -> None:
        """Asks, in the caller's pipeline, for the ``state`` that ``step`` reads."""
        pipe.hgetall(_KEY + conversation_id)

    async def step(
        self,
        conversation_id: str,
        said: Optional[str],
        payload: Optional[str],
        verified_phone: Optional[str],
        state: Optional[dict[str, str]] = None,
    ) -> Optional[list[Part]]:
        """The answer to a message while a call-back is being arranged; None when none is.
        ``state``: the call-back's, when the caller has read it (``state_in``)."""
        if state is None:
            state = await self.redis.hgetall(_KEY + conversation_id)
        if not state:
            return None
        if payload == BACK or same(said, *_BACK_WORDS) or (state["step"] == "offer" and same(said, "نه", "خیر")):
            await self.redis.delete(_KEY + conversation_id)
            return [self._reply("handoff_back")]
        if state["step"] == "offer":
            if payload == YES or same(said, *_YES_WORDS):
                await self._keep(conversation_id, step="phone")
                return [self._ask_phone()]
            return [self._reply("callback_choose"), self._offer(state["reason"].endswith(":" + FULL))]
        if state["step"] == "phone":
            phone = verified_phone or (read_phone(said) if said else None)
            if phone is None:
                return [self._reply("callback_bad_phone"), self._ask_phone()]
            await self._keep(conversation_id, step="time", phone=self.sealer.seal(phone))
            return [self._ask_time()]
        when = self._time_chosen(said, payload)
        if when is None:
            return [self._reply("callback_choose"), self._ask_time()]
        return [await self._record(conversation_id, state, when)]

    async def _record(self, conversation_id: str, state: dict[str, str], when: str) -> Part:
        phone = self.sealer.open(state["phone"])
        async with self.sessions() as session, session.begin():
            callback = Callback(
                conversation_id=conversation_id,
                channel=state["channel"],
                agency=state["agency"],
                reason=state["reason"][:64],
                preferred_time=when,
                created_at=self.clock(),
            )
            callback.seal_phone(self.sealer, phone)
            session.add(callback)
        await self.redis.delete(_KEY + conversation_id)
        await self.redis.publish(CHANGES, "callback")  # open desk pages list it now
        logger.info("call-back requested conversation=%s reason=%s", conversation_tag(conversation_id), state["reason"])
        return self._reply("callback_done", phone=persian_digits(mask(phone)), when=when)

    async def _keep(self, conversation_id: str, **fields: str) -> None:
        key = _KEY + conversation_id
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=fields)
            pipe.expire(key, STATE_SECONDS)
            await pipe.execute()

    def _time_chosen(self, said: Optional[str], payload: Optional[str]) -> Optional[str]:
        for button in self.replies.buttons("callback_ask_time"):
            if payload == button["payload"] or same(said, button["title"]):
                return str(button["title"])
        return None

    def _reply(self, key: str, **values: str) -> Part:
        reply = self.replies.render(key, (), **values)
        return reply["text"], reply["buttons"], reply["custom"]

    def _offer(self, queue_full: bool) -> Part:
        return callback_offer(queue_full), [{"title": CALLBACK_YES, "payload": YES}, _back()], {}

    def _ask_phone(self) -> Part:
        text, buttons, hints = self._reply("callback_ask_phone")
        return text, [*buttons, _back()], hints

    def _ask_time(self) -> Part:
        text, buttons, hints = self._reply("callback_ask_time")
        return text, [*buttons, _back()], hints


def _back() -> dict:
    return {"title": BACK_TO_BOT, "payload": BACK}
