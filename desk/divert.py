"""The router's turn through the desk: before Rasa, a conversation at the desk (or arranging a
call-back) is answered here and never reaches Rasa; after Rasa, a reply carrying the handoff
signal (an action's ``{"handoff": {"reason", "agency"}}`` custom payload) joins the queue, or is
offered a call-back when the desk is closed, the queue full, or the channel cannot be written to
later. The signal's own reply (the call centre's number) stays for when no queue is offered.
"""

from __future__ import annotations

from typing import Optional

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

from connectors.models import InboundMessage
from content.replies import Replies
from desk.callback import CLOSED, FULL, UNREACHABLE, CallbackFlow, Part, same
from desk.handoff import HandoffService, Turn
from desk.models import Author
from desk.office_hours import is_open
from desk.recent import RecentTurns
from desk.wording import CANCEL_WORD, cancelled_message, joined_message, place_message

# The payload of the «لغو» button offered while waiting; the gateway's own, never sent to Rasa.
CANCEL = "desk:cancel"
GENERAL = "general"
# A waiting citizen is told their place again at most this often.
TOLD_SECONDS = 60
_TOLD = "hamyar:desk:told:"


def _cancel_button() -> dict:
    return {"title": CANCEL_WORD, "payload": CANCEL}


class HandoffDivert:
    def __init__(
        self,
        handoffs: HandoffService,
        callbacks: CallbackFlow,
        redis: aioredis.Redis,
        replies: Replies,
        recent: Optional[RecentTurns] = None,
    ) -> None:
        self._handoffs = handoffs
        # The turns before a handoff, for the agent's transcript (none kept when not given).
        self._recent = recent
        self._callbacks = callbacks
        self._redis = redis
        self._replies = replies

    async def before_rasa(self, message: InboundMessage, said: Optional[str], payload: Optional[str]) -> Optional[list[Part]]:
        """The replies of a turn the desk answers (possibly none), or None to go on to Rasa.
        ``said`` is what the citizen typed, the title of the button they pressed, or their shared
        number."""
        conversation = message.conversation_id
        # Whether the conversation is at the desk or arranging a call-back, in one round trip.
        async with self._redis.pipeline(transaction=False) as pipe:
            self._handoffs.queue.item_in(pipe, conversation)
            self._callbacks.state_in(pipe, conversation)
            item, callback = await pipe.execute()
        position = await self._handoffs.position(conversation, item)
        if position is not None:
            if position.place > 0 and (payload == CANCEL or same(said, CANCEL_WORD)):
                if await self._handoffs.cancel(conversation):
                    return [(cancelled_message(), self._replies.buttons("common"), {})]
            if said and said.strip():
                await self._handoffs.citizen_message(conversation, said)
            if position.place == 0:
                return []  # with an agent: their words reach the agent, the bot says nothing
            # Never silent to a first message; after that, told again at most once a minute.
            if await self._redis.set(_TOLD + conversation, "1", nx=True, ex=TOLD_SECONDS):
                return [(place_message(position), [_cancel_button()], {})]
            return []
        answer = await self._callbacks.step(conversation, said, payload, message.verified_phone, callback)
        if answer is not None:
            return answer
        if payload is not None and payload.startswith("desk:"):
            reply = self._replies.render("gateway_button_expired")
            return [(reply["text"], reply["buttons"], reply["custom"])]
        return None

    async def after_rasa(
        self, message: InboundMessage, said: Optional[str], parts: list[Part], writes: Optional[Pipeline] = None
    ) -> list[Part]:
        """Rasa's replies, with the handoff signal (if one carries it) acted on. The turn goes into
        the desk's transcript by ``writes`` when given (the turn's transaction), else at once."""
        index = next((i for i, (_, _, hints) in enumerate(parts) if isinstance(hints.get("handoff"), dict)), None)
        conversation = message.conversation_id
        this_turn = [
            Turn(Author.citizen, said or ""),
            *(Turn(Author.bot, part[0]) for part in (parts if index is None else parts[:index])),
        ]
        if index is None:
            await self._remember(conversation, this_turn, writes)
            return parts
        text, buttons, hints = parts[index]
        signal = hints["handoff"]
        reason = str(signal.get("reason") or "request_human")[:64]
        agency = str(signal.get("agency") or GENERAL)[:64]
        before = parts[:index]
        why = await self._why_not_queue(conversation, agency)
        if why is None:
            earlier = await self._recent.take(conversation) if self._recent is not None else []
            case = signal.get("case")
            position = await self._handoffs.start(
                conversation,
                message.channel,
                agency,
                reason,
                [*earlier, *this_turn],
                case=str(case)[:160] if case else None,
                case_waiting_on_citizen=bool(signal.get("waiting_on_citizen")),
            )
            return [*before, (joined_message(position), [_cancel_button()], {})]
        await self._remember(conversation, this_turn, writes)
        offer = await self._callbacks.offer(conversation, message.channel, agency, reason, why)
        fallback = (text, buttons, {k: v for k, v in hints.items() if k != "handoff"})
        return [*before, fallback, *offer]

    async def _remember(self, conversation: str, turns: list[Turn], writes: Optional[Pipeline]) -> None:
        if self._recent is None:
            return
        if writes is not None:
            self._recent.add_in(writes, conversation, turns)
        else:
            await self._recent.add(conversation, turns)

    async def _why_not_queue(self, conversation: str, agency: str) -> Optional[str]:
        if not self._handoffs.outlet.reachable(conversation):
            return UNREACHABLE
        if not is_open(self._handoffs.config, self._handoffs.now()):
            return CLOSED
        if await self._handoffs.queue.over_limit(agency):
            return FULL
        return None
