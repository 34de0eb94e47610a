"""Rubika: its own bot API (``{base}/{token}/{method}``, JSON), webhooks set by updateBotEndpoints,
options as an inline keypad and «منو» / «اپراتور» on the chat keypad. Replies go out in order
through the chat's send queue (connectors/sendqueue.py), as the messengers' do."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional

import aiohttp
from aiohttp import web
from tenacity import retry_if_exception, retry_if_exception_type

from agencies.lazy_session import LazySession
from connectors.channel_config import channel_entries, webhook_secret
from connectors.jsonbody import read_update, refusal
from connectors.keys import ADAPTERS
from connectors.models import InboundMessage, OutboundMessage
from connectors.retry import retrying
from connectors.router import Router
from connectors.sendqueue import ChatQueues, SendFailure
from connectors.signing import same_secret
from connectors.voice import MIME_TYPE, VoiceMaker, voice_file
from content.replies import Replies

logger = logging.getLogger("gateway.rubika")
TEXT_LIMIT = 4000
CHANNEL = "rubika"
KEYPAD_PREFIX = "kb"
_KEYPAD = re.compile(KEYPAD_PREFIX + r"([0-9]{1,2})")


@dataclass(frozen=True)
class RubikaProfile:
    token: str
    base_url: str
    webhook_secret: str


def load_profile(path: Optional[Path] = None, env: Optional[Mapping[str, str]] = None) -> Optional[RubikaProfile]:
    entries = channel_entries("rubika", path, env)
    values = entries[0] if entries else {}
    token = str(values.get("token", ""))
    if not token:
        return None
    secret = webhook_secret("rubika", str(values.get("webhook_secret", "")), "RUBIKA_WEBHOOK_SECRET")
    return RubikaProfile(token=token, base_url=str(values["base_url"]).rstrip("/"), webhook_secret=secret)


class RubikaError(Exception):
    """The API answered with an error; ``transient`` ones are worth retrying."""

    def __init__(self, status: str, transient: bool) -> None:
        super().__init__(status)
        self.transient = transient


_transient = retry_if_exception(lambda e: isinstance(e, RubikaError) and e.transient)


# Chat, sender and message ids as Rubika writes them (letters, digits, "_" and "-"); anything
# else is not an update of Rubika's and is dropped rather than answered with a 500.
_ID = re.compile(r"[A-Za-z0-9_\-]{1,128}")


def _id(value: object) -> Optional[str]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return value if isinstance(value, str) and _ID.fullmatch(value) else None


def parse_update(body: object) -> Optional[dict]:
    """(chat_id, user_id, message_id, text, button_id, has_file, has_voice) of a citizen's message, or None
    for other events and for anything not shaped like Rubika's update (any JSON may arrive)."""
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("inline_message"), dict):
        message = body["inline_message"]
        chat_id = message.get("chat_id")
    elif isinstance(body.get("update"), dict) and body["update"].get("type") == "NewMessage":
        message = body["update"].get("new_message")
        chat_id = body["update"].get("chat_id")
    else:
        return None
    if not isinstance(message, dict):
        return None
    aux = message.get("aux_data")
    aux = aux if isinstance(aux, dict) else {}
    chat_id, message_id = _id(chat_id), _id(message.get("message_id"))
    if chat_id is None or message_id is None:
        return None
    text, button_id = message.get("text"), aux.get("button_id")
    return {
        "chat_id": chat_id,
        "user_id": _id(message.get("sender_id")) or chat_id,
        "message_id": message_id,
        "text": text if isinstance(text, str) else None,
        "button_id": button_id[:64] if isinstance(button_id, str) else None,
        "has_file": bool(message.get("file") or message.get("sticker") or message.get("location")),
        "has_voice": _is_voice(message.get("file")),
    }


# Rubika's file says no kind, only its name: a recorded voice is an .ogg, other sound files these.
_SOUND = re.compile(r"\.(?:ogg|oga|opus|mp3|m4a|aac|amr|wav)$", re.IGNORECASE)


def _is_voice(file: object) -> bool:
    name = file.get("file_name") if isinstance(file, dict) else None
    return isinstance(name, str) and bool(_SOUND.search(name))


def inbound(body: object) -> Optional[InboundMessage]:
    """The inbound message of a Rubika update; None when it carries none."""
    update = parse_update(body)
    if update is None:
        return None
    fields: dict = {"message_id": update["message_id"]}
    if update["button_id"]:
        fields["button_id"] = update["button_id"]
    elif update["text"]:
        fields["text"] = update["text"]
    elif update["has_voice"]:
        fields["kind"] = "voice"
    elif update["has_file"]:
        fields["kind"] = "unsupported"
    return InboundMessage(channel=CHANNEL, chat_id=update["chat_id"], user_id=update["user_id"], **fields)


class RubikaAdapter:
    def __init__(
        self,
        profile: RubikaProfile,
        router: Router,
        queues: ChatQueues,
        replies: Replies,
        public_url: str = "",
        voice: Optional[VoiceMaker] = None,
    ) -> None:
        self.profile = profile
        self._voice = voice
        self._router = router
        self._queues = queues
        self._replies = replies
        self._public_url = public_url.rstrip("/")
        self._session = LazySession(timeout=aiohttp.ClientTimeout(total=10))

    @property
    def webhook_path(self) -> str:
        return f"/webhooks/rubika/{self.profile.webhook_secret}"

    def authentic(self, secret: str) -> bool:
        return same_secret(secret, self.profile.webhook_secret)

    async def call(self, method: str, payload: dict[str, Any]) -> dict:
        async with self._session.get().post(f"{self.profile.base_url}/{self.profile.token}/{method}", json=payload) as response:
            if response.status >= 500 or response.status == 429:
                raise RubikaError(f"http {response.status}", transient=True)
            body = await response.json(content_type=None)
        if not isinstance(body, dict) or body.get("status") != "OK":
            status = str(body.get("status") if isinstance(body, dict) else "unreadable")
            raise RubikaError(status, transient=status in ("TOO_REQUESTS", "INTERNAL_PROBLEM"))
        return body.get("data") or {}

    async def start(self) -> None:
        await self.call("getMe", {})
        if self._public_url:
            for kind, endpoint in (("update", "ReceiveUpdate"), ("inline", "ReceiveInlineMessage")):
                await self.call("updateBotEndpoints", {"url": f"{self._public_url}{self.webhook_path}/{kind}", "type": endpoint})
        logger.info("rubika started")

    async def stop(self) -> None:
        await self._session.close()

    async def process(self, body: dict) -> None:
        """Take one update's turn and queue its replies behind the chat's earlier ones."""
        message = inbound(body)
        if message is None:
            return
        message = self._keypad_press(message)
        await self._router.handle(message, TEXT_LIMIT, keep=self._queues.add)
        self._queues.kick(message.conversation_id)

    def _keypad_press(self, message: InboundMessage) -> InboundMessage:
        """A chat-keypad button («منو», «اپراتور») is the same for every message, so it is not in the
        button registry: its id ``kb{i}`` says which of ``messenger_keyboard`` it is."""
        match = _KEYPAD.fullmatch(message.button_id or "")
        keyboard = self._replies.buttons("messenger_keyboard")
        if match is None or int(match.group(1)) >= len(keyboard):
            return message
        return message.model_copy(update={"button_id": None, "internal_payload": keyboard[int(match.group(1))]["payload"]})

    def _keypads(self, message: OutboundMessage) -> dict:
        if message.buttons:
            rows = [{"buttons": [{"id": b.id, "type": "Simple", "button_text": b.title}]} for b in message.buttons]
            return {"inline_keypad": {"rows": rows}}
        keyboard = self._replies.buttons("messenger_keyboard")
        row = {
            "buttons": [
                {"id": f"{KEYPAD_PREFIX}{i}", "type": "Simple", "button_text": b["title"]} for i, b in enumerate(keyboard)
            ]
        }
        return {"chat_keypad_type": "New", "chat_keypad": {"rows": [row], "resize_keyboard": True, "on_time_keyboard": False}}

    async def send_one(self, chat_id: str, message: OutboundMessage) -> None:
        """One message (and its voice, when it has one), retried with backoff; then a SendFailure.
        (The bot's limit is the queue's.)"""
        voice = await voice_file(self._voice, message)
        if message.text or voice is None:
            # With a voice after it, the buttons go on the voice: the last thing the chat shows.
            keypads = {} if voice is not None and message.buttons else self._keypads(message)
            payload = {"chat_id": chat_id, "text": message.text or message.speak or "", **keypads}
            await self._send(lambda: self.call("sendMessage", payload))
        if voice is not None:
            keypads = self._keypads(message) if message.buttons or not message.text else {}
            file_id = await self._send(lambda: self._upload(voice.read_bytes()))
            await self._send(lambda: self.call("sendFile", {"chat_id": chat_id, "file_id": file_id, **keypads}))

    async def _upload(self, ogg: bytes) -> str:
        """Rubika's file upload: an upload address from requestSendFile, the file POSTed there."""
        address = (await self.call("requestSendFile", {"type": "Voice"})).get("upload_url")
        if not isinstance(address, str):
            raise RubikaError("no upload_url", transient=True)
        form = aiohttp.FormData()
        form.add_field("file", ogg, filename="voice.ogg", content_type=MIME_TYPE)
        async with self._session.get().post(address, data=form) as response:
            if response.status >= 500 or response.status == 429:
                raise RubikaError(f"upload http {response.status}", transient=True)
            body = await response.json(content_type=None)
        file_id = (body.get("data") or {}).get("file_id") if isinstance(body, dict) else None
        if not isinstance(file_id, str):
            raise RubikaError("upload refused", transient=False)
        return file_id

    async def _send(self, call):  # type: ignore[no-untyped-def]
        try:
            return await retrying(
                call,
                retry_if_exception_type((aiohttp.ClientError, asyncio.TimeoutError)) | _transient,
            )
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise SendFailure(type(error).__name__, retry_after=1.0) from None
        except RubikaError as error:
            raise SendFailure(str(error), retry_after=1.0 if error.transient else None) from None

    async def show_typing(self, chat_id: str) -> None:
        """Rubika's bot API has no chat action: the next message simply follows."""


async def receive(request: web.Request) -> web.Response:
    """``POST /webhooks/rubika/{secret}/{update|inline}``: 200 once handled, 500 to make Rubika retry."""
    adapter = request.app[ADAPTERS].get(CHANNEL)
    if not isinstance(adapter, RubikaAdapter) or not adapter.authentic(request.match_info["secret"]):
        return refusal("not_found", 404)
    body = await read_update(request)
    if isinstance(body, web.Response):
        return body
    await adapter.process(body)
    return web.json_response({"status": "OK"})
