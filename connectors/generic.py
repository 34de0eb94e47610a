"""The signed generic webhook: any bridge (Eitaa, Soroush, SMS...) that can sign a JSON POST.

``POST /webhooks/generic/{source}`` with ``{message_id, user_id, chat_id, text | payload,
contact?, attachment?}``; headers ``X-Hamyar-Timestamp`` and ``X-Hamyar-Signature: sha256=<hex>`` over
``timestamp + "." + body`` with the source's secret. Replies come back in the response body and,
where the source has a callback URL, are also POSTed there, signed the same way.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Mapping, Optional

import aiohttp
from aiohttp import web
from pydantic import BaseModel, Field
from tenacity import retry_if_exception_type

from agencies.lazy_session import LazySession
from connectors.channel_config import channel_entries
from connectors.keys import CALLBACKS, NUMBERED, REPLIES, ROUTER, SOURCES, VOICE_LINKS
from connectors.models import InboundMessage, OutboundMessage
from connectors.numbered import numbered_text
from connectors.retry import retrying
from connectors.signing import forget_signature_on_failure, read_signed, signed_headers
from connectors.voice import MIME_TYPE
from nlu.identifiers import normalize_phone
from nlu.logtag import conversation_tag

if TYPE_CHECKING:
    from connectors.router import Keep
    from connectors.voice_links import VoiceLinks

logger = logging.getLogger("gateway.generic")
MAX_BODY = 16 * 1024


@dataclass(frozen=True)
class GenericSource:
    name: str
    secret: str
    buttons: bool
    callback_url: str


def load_sources(path: Optional[Path] = None, env: Optional[Mapping[str, str]] = None) -> dict[str, GenericSource]:
    """The enabled sources (those with a secret) of config/channels.yml."""
    sources = {}
    for values in channel_entries("generic", path, env):
        source = GenericSource(
            name=values["source"],
            secret=str(values.get("secret", "")),
            buttons=bool(values.get("buttons", True)),
            callback_url=str(values.get("callback_url", "")),
        )
        if source.secret:
            sources[source.name] = source
    return sources


class Contact(BaseModel):
    phone: str = Field(max_length=32)
    user_id: str = Field(max_length=128)


class GenericBody(BaseModel):
    message_id: str = Field(min_length=1, max_length=128)
    user_id: str = Field(min_length=1, max_length=128)
    chat_id: str = Field(pattern=r"^[A-Za-z0-9_\-]{1,128}$")
    text: Optional[str] = Field(default=None, max_length=MAX_BODY)
    # The id of a button this gateway sent; anything else is treated as expired.
    payload: Optional[str] = Field(default=None, max_length=64)
    contact: Optional[Contact] = None
    # What the citizen sent instead of words (its content never comes here): connectors/speech_in.py.
    attachment: Optional[
        Literal["voice", "audio", "video_note", "photo", "video", "document", "sticker", "location", "other"]
    ] = None


VOICE_ATTACHMENTS = ("voice", "audio", "video_note")


def _kind(body: GenericBody, button_id: Optional[str]) -> Literal["text", "voice", "unsupported"]:
    """Words or a button win over an attachment sent with them (a caption, say)."""
    if button_id or body.text or body.attachment is None:
        return "text"
    return "voice" if body.attachment in VOICE_ATTACHMENTS else "unsupported"


def inbound(source: GenericSource, body: GenericBody, button_id: Optional[str]) -> InboundMessage:
    """The inbound message of a signed body; ``button_id`` is its payload, or the option its
    number picked on a source without buttons."""
    contact = body.contact
    trusted = contact is not None and contact.user_id == body.user_id
    return InboundMessage(
        kind=_kind(body, button_id),
        channel=source.name,
        chat_id=body.chat_id,
        user_id=body.user_id,
        message_id=body.message_id,
        text=None if button_id else body.text,
        button_id=button_id,
        verified_phone=normalize_phone(contact.phone) if contact is not None and trusted else None,
    )


def render(source: GenericSource, conversation_id: str, replies: list[OutboundMessage], hint: str) -> dict:
    """The body a bridge gets; a reply with a voice link carries ``audio``: {url, mime_type}."""
    shown = []
    for reply in replies:
        if source.buttons:
            item = reply.model_dump(exclude={"speak", "audio_url"})
        else:
            item = {"text": numbered_text(reply, hint), "buttons": []}
        if reply.audio_url:
            item["audio"] = {"url": reply.audio_url, "mime_type": MIME_TYPE}
        shown.append(item)
    return {"conversation_id": conversation_id, "replies": shown}


def _spoken(replies: list[OutboundMessage]) -> dict[int, str]:
    """The words each reply that has any is said with, by its place in the turn."""
    return {i: r.speak or r.text for i, r in enumerate(replies) if (r.speak or r.text).strip()}


def words_kept(links: VoiceLinks) -> Keep:
    """For ``Router.handle``: the turn's voice words kept in its own transaction."""
    return lambda writes, conversation, replies: links.keep_in(writes, list(_spoken(replies).values()))


async def with_audio(request: web.Request, replies: list[OutboundMessage], kept: bool = False) -> list[OutboundMessage]:
    """Each reply with a signed link to its voice, made when the bridge first plays it; ``kept``:
    its words were kept with the turn (``words_kept``), else they are kept now."""
    links = request.app.get(VOICE_LINKS)
    if links is None:
        return replies
    base = links.base_url or str(request.url.origin())
    spoken = _spoken(replies)
    texts = list(spoken.values())
    urls = dict(zip(spoken, links.signed(texts, base) if kept else await links.urls(texts, base)))
    return [r.model_copy(update={"audio_url": urls[i]}) if i in urls else r for i, r in enumerate(replies)]


class CallbackSender:
    """POSTs replies to a source's callback URL, signed; retried with backoff, failures logged."""

    def __init__(self, attempts: int = 4) -> None:
        self._attempts = attempts
        self._session = LazySession(timeout=aiohttp.ClientTimeout(total=10))
        self._tasks: set[asyncio.Task] = set()

    def send(self, source: GenericSource, body: dict) -> None:
        task = asyncio.create_task(self.deliver(source, body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def deliver(self, source: GenericSource, body: dict) -> bool:
        """Whether the bridge took the replies (for a sender that retries later, e.g. notices)."""
        data = json.dumps(body, ensure_ascii=False).encode()
        try:
            return await retrying(
                lambda: self._post(source, data),
                retry_if_exception_type((aiohttp.ClientError, asyncio.TimeoutError)),
                self._attempts,
            )
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            logger.error(
                "callback failed source=%s conversation=%s error=%s",
                source.name,
                conversation_tag(body["conversation_id"]),
                type(error).__name__,
            )
        return False

    async def _post(self, source: GenericSource, data: bytes) -> bool:
        async with self._session.get().post(
            source.callback_url, data=data, headers=signed_headers(source.secret, data)
        ) as response:
            if response.status >= 500 or response.status == 429:
                raise aiohttp.ClientResponseError(response.request_info, (), status=response.status)
            if response.status >= 400:
                logger.error("callback refused source=%s status=%d", source.name, response.status)
                return False
            return True

    async def close(self) -> None:
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=10)
        await self._session.close()


@forget_signature_on_failure
async def receive(request: web.Request) -> web.Response:
    source = request.app[SOURCES].get(request.match_info["source"])
    if source is None:
        return web.json_response({"error": "unknown_source"}, status=404)
    body = await read_signed(request, source.secret, GenericBody, MAX_BODY, f"generic:{source.name}")
    if isinstance(body, web.Response):
        return body

    router = request.app[ROUTER]
    numbered = request.app[NUMBERED]
    conversation_id = f"{source.name}:{body.chat_id}"
    button_id = body.payload
    if not source.buttons and not button_id:
        button_id = await numbered.button_for(conversation_id, body.text)
    message = inbound(source, body, button_id)
    links = request.app.get(VOICE_LINKS)
    replies = await router.handle(message, keep=words_kept(links) if links is not None else None)
    hint = request.app[REPLIES].render("numbered_hint")["text"]
    if replies is None:
        stored = await router.dedup.result(conversation_id, body.message_id)
        if stored is None:
            return web.json_response({"error": "in_progress"}, status=409)
        replies = await with_audio(request, [OutboundMessage.model_validate(r) for r in json.loads(stored)])
        return web.json_response({**render(source, conversation_id, replies, hint), "duplicate": True})
    if not source.buttons:
        await numbered.remember(conversation_id, replies)
    replies = await with_audio(request, replies, kept=True)
    answer = render(source, conversation_id, replies, hint)
    if source.callback_url:
        request.app[CALLBACKS].send(source, answer)
    return web.json_response(answer)
