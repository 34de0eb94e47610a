"""The signed generic webhook: any bridge (Eitaa, Soroush, SMS...) that can sign a JSON POST.

``POST /webhooks/generic/{source}`` with ``{message_id, user_id, chat_id, text | payload,
contact?}``; headers ``X-Hamyar-Timestamp`` and ``X-Hamyar-Signature: sha256=<hex>`` over
``timestamp + "." + body`` with the source's secret. Replies come back in the response body and,
where the source has a callback URL, are also POSTed there, signed the same way.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

import aiohttp
from aiohttp import web
from pydantic import BaseModel, Field
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from connectors.channel_config import read_channels
from connectors.models import InboundMessage, OutboundMessage
from connectors.numbered import NumberedOptions, numbered_text
from connectors.router import Router, tag
from connectors.signing import forget_signature_on_failure, read_signed, signed_headers
from connectors.web import ROUTER
from content.replies import Replies
from nlu.catalog import expand_env
from nlu.identifiers import normalize_phone

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
    data, env = read_channels(path, env)
    sources = {}
    for raw in data.get("generic", []):
        source = GenericSource(
            name=raw["source"],
            secret=expand_env(str(raw.get("secret", "")), env),
            buttons=bool(raw.get("buttons", True)),
            callback_url=expand_env(str(raw.get("callback_url", "")), env),
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


def inbound(source: GenericSource, body: GenericBody, button_id: Optional[str]) -> InboundMessage:
    """The inbound message of a signed body; ``button_id`` is its payload, or the option its
    number picked on a source without buttons."""
    trusted = body.contact is not None and body.contact.user_id == body.user_id
    return InboundMessage(
        channel=source.name,
        chat_id=body.chat_id,
        user_id=body.user_id,
        message_id=body.message_id,
        text=None if button_id else body.text,
        button_id=button_id,
        verified_phone=normalize_phone(body.contact.phone) if trusted else None,
    )


def render(source: GenericSource, conversation_id: str, replies: list[OutboundMessage], hint: str) -> dict:
    if source.buttons:
        shown = [r.model_dump() for r in replies]
    else:
        shown = [{"text": numbered_text(r, hint), "buttons": []} for r in replies]
    return {"conversation_id": conversation_id, "replies": shown}


class CallbackSender:
    """POSTs replies to a source's callback URL, signed; retried with backoff, failures logged."""

    def __init__(self, attempts: int = 4) -> None:
        self._attempts = attempts
        self._session: Optional[aiohttp.ClientSession] = None
        self._tasks: set[asyncio.Task] = set()

    def send(self, source: GenericSource, body: dict) -> None:
        task = asyncio.create_task(self.deliver(source, body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def deliver(self, source: GenericSource, body: dict) -> bool:
        """Whether the bridge took the replies (for a sender that retries later, e.g. notices)."""
        data = json.dumps(body, ensure_ascii=False).encode()
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self._attempts),
                wait=wait_exponential(multiplier=0.5, max=8),
                retry=retry_if_exception_type((aiohttp.ClientError, asyncio.TimeoutError)),
                reraise=True,
            ):
                with attempt:
                    async with self._session.post(source.callback_url, data=data, headers=signed_headers(source.secret, data)) as response:
                        if response.status >= 500 or response.status == 429:
                            raise aiohttp.ClientResponseError(response.request_info, (), status=response.status)
                        if response.status >= 400:
                            logger.error("callback refused source=%s status=%d", source.name, response.status)
                            return False
                        return True
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            logger.error("callback failed source=%s conversation=%s error=%s", source.name, tag(body["conversation_id"]), type(error).__name__)
        return False

    async def close(self) -> None:
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=10)
        if self._session is not None:
            await self._session.close()


SOURCES: web.AppKey[dict] = web.AppKey("generic_sources", dict)
CALLBACKS: web.AppKey[CallbackSender] = web.AppKey("generic_callbacks", CallbackSender)
NUMBERED: web.AppKey[NumberedOptions] = web.AppKey("numbered", NumberedOptions)
REPLIES: web.AppKey[Replies] = web.AppKey("generic_replies", Replies)


@forget_signature_on_failure
async def receive(request: web.Request) -> web.Response:
    source = request.app[SOURCES].get(request.match_info["source"])
    if source is None:
        return web.json_response({"error": "unknown_source"}, status=404)
    body = await read_signed(request, source.secret, GenericBody, MAX_BODY, f"generic:{source.name}")
    if isinstance(body, web.Response):
        return body

    router: Router = request.app[ROUTER]
    numbered = request.app[NUMBERED]
    conversation_id = f"{source.name}:{body.chat_id}"
    button_id = body.payload
    if not source.buttons and not button_id:
        button_id = await numbered.button_for(conversation_id, body.text)
    message = inbound(source, body, button_id)
    replies = await router.handle(message)
    hint = request.app[REPLIES].render("numbered_hint")["text"]
    if replies is None:
        stored = await router.dedup.result(conversation_id, body.message_id)
        if stored is None:
            return web.json_response({"error": "in_progress"}, status=409)
        replies = [OutboundMessage.model_validate(r) for r in json.loads(stored)]
        return web.json_response({**render(source, conversation_id, replies, hint), "duplicate": True})
    if not source.buttons:
        await numbered.remember(conversation_id, replies)
    answer = render(source, conversation_id, replies, hint)
    if source.callback_url:
        request.app[CALLBACKS].send(source, answer)
    return web.json_response(answer)
