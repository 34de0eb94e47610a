"""Hamyar's own Rasa input channel: the only way the gateway talks to Rasa.

Unlike the stock REST channel it answers errors as errors, never logs message text or ids, and
keeps typed text from injecting an intent: only ``payload`` (a button the gateway issued) may
start with ``/``. Imported by Rasa, so it uses only what the Rasa environment has.
"""

from __future__ import annotations

import hmac
import logging
import re
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.requests import once_each, requests_in
from bot.typed import safe_text
from nlu.logtag import conversation_tag

logger = logging.getLogger(__name__)

MAX_TEXT = 4096
_PAYLOAD = re.compile(r"^/[a-z_]{1,64}(\{.{0,512}\})?$", re.DOTALL)
_SENDER = re.compile(r"^[a-z]{1,16}:[A-Za-z0-9_\-]{1,128}$")


class HamyarInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "hamyar"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "HamyarInput":
        token = (credentials or {}).get("token") or ""
        if not token or token.startswith("${"):
            raise ValueError("RASA_CHANNEL_TOKEN is not set; the gateway and Rasa share it")
        return cls(token)

    def __init__(self, token: Text) -> None:
        self._token = token

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("hamyar_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            given = request.headers.get("x-hamyar-token", "")
            if not hmac.compare_digest(given.encode(), self._token.encode()):
                return response.json({"error": "unauthorised"}, status=401)
            try:
                body = request.json
            except Exception:  # sanic raises on a body that is not JSON
                body = None
            if not isinstance(body, dict):
                return response.json({"error": "malformed"}, status=400)
            sender = body.get("sender")
            text = body.get("text")
            payload = body.get("payload")
            metadata = body.get("metadata") or {}
            message_id = body.get("message_id")
            if not isinstance(sender, str) or not _SENDER.match(sender) or not isinstance(metadata, dict):
                return response.json({"error": "malformed"}, status=400)
            pressed = isinstance(payload, str) and bool(payload)
            if isinstance(payload, str) and payload:
                if not _PAYLOAD.match(payload):
                    return response.json({"error": "bad_payload"}, status=400)
                message_text = payload
            elif isinstance(text, str):
                message_text = safe_text(text)[:MAX_TEXT]
                if not message_text:
                    return response.json({"error": "empty"}, status=400)
            else:
                return response.json({"error": "malformed"}, status=400)

            collector = CollectingOutputChannel()
            tag = conversation_tag(sender)
            try:
                turns = [message_text] if pressed else await self._requests(request, sender, message_text)
                for position, turn in enumerate(turns):
                    await on_new_message(
                        UserMessage(
                            turn,
                            collector,
                            sender,
                            input_channel=self.name(),
                            metadata=metadata,
                            message_id=part_id(message_id, position, len(turns)),
                        )
                    )
            except Exception as error:  # report the kind, never the text
                logger.error("turn failed conversation=%s error=%s", tag, type(error).__name__)
                return response.json({"error": "turn_failed"}, status=500)
            if not collector.messages:
                # Every Hamyar turn answers; silence means an action failed inside Rasa.
                logger.error("turn produced no reply conversation=%s", tag)
                return response.json({"error": "no_reply", "messages": []}, status=502)
            if len(turns) > 1:
                logger.info("message answered as %d requests conversation=%s", len(turns), tag)
                return response.json({"messages": once_each(collector.messages)})
            return response.json({"messages": collector.messages})

        return hook

    @staticmethod
    async def _requests(request: Request, sender: str, text: str) -> list[str]:
        """The turns a typed message makes (bot/requests.py): one, or one per request in it."""
        agent = getattr(request.app.ctx, "agent", None)
        if agent is None:  # served without Rasa's agent (a test's stand-in for the turn)
            return [text]

        async def pending() -> Optional[str]:
            tracker = await agent.tracker_store.retrieve(sender)
            return tracker.get_slot("requested_slot") if tracker and tracker.active_loop_name else None

        return await requests_in(text, agent, pending)


def part_id(message_id: Any, position: int, count: int) -> Optional[str]:
    """Each request of a message is its own turn, with its own message id."""
    if not message_id:
        return None
    return str(message_id) if count == 1 else f"{message_id}:{position + 1}"
