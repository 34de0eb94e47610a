"""Telegram, Bale and Soroush Plus: one adapter on python-telegram-bot, a profile per messenger.

The gateway drives each Application itself (initialize, start, process_update) instead of PTB's
own webhook server. An update's turn is taken, and its replies queued for the chat
(connectors/sendqueue.py), before the webhook returns, so a failure makes the messenger retry it;
the router drops the retry if the first attempt did finish. The queue sends them in order.
"""

from __future__ import annotations

import asyncio
import logging
import re
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Awaitable, Callable, Mapping, Optional

from aiohttp import web
from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ChatAction
from telegram.error import NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters
from tenacity import retry_if_exception_type

from connectors.channel_config import channel_entries, webhook_secret
from connectors.jsonbody import read_update, refusal
from connectors.keys import ADAPTERS
from connectors.models import InboundMessage, OutboundMessage
from connectors.ratelimit import bot_rate_limiter
from connectors.retry import retrying
from connectors.router import Router
from connectors.sendqueue import ChatQueues, SendFailure
from connectors.signing import same_secret
from connectors.speech_in import MAX_BYTES, MAX_SECONDS, TooLong
from connectors.voice import VoiceMaker, voice_file
from content.replies import Replies
from desk.codes import read_code
from nlu.identifiers import normalize_phone

logger = logging.getLogger("gateway.messenger")
TEXT_LIMIT = 4096
_DEEP_LINK = re.compile(r"^(guide|case|status)(?:-([a-z0-9\-]{1,60}))?$")


@dataclass(frozen=True)
class MessengerProfile:
    name: str
    token: str
    base_url: str
    base_file_url: str
    mode: str
    webhook_secret: str
    secret_header: bool
    # The bot's private chat, «{username}» filled in at start: a group is sent there for identity.
    private_link: str = ""


def load_profiles(path: Optional[Path] = None, env: Optional[Mapping[str, str]] = None) -> list[MessengerProfile]:
    """The messengers of config/channels.yml that have a token."""
    profiles = []
    for values in channel_entries("messengers", path, env):
        if not values.get("token"):
            continue
        profile = MessengerProfile(
            name=values["name"],
            token=values["token"],
            base_url=values["base_url"],
            base_file_url=values["base_file_url"],
            mode=values.get("mode") or "webhook",
            webhook_secret=values.get("webhook_secret") or "",
            secret_header=bool(values.get("secret_header")),
            private_link=values.get("private_link") or "",
        )
        if profile.mode == "webhook":
            webhook_secret(profile.name, profile.webhook_secret, f"{profile.name.upper()}_WEBHOOK_SECRET")
        profiles.append(profile)
    return profiles


def deep_link_payload(argument: str) -> Optional[str]:
    """``/start guide-passport-new`` from a call-centre agent's link opens that guide."""
    match = _DEEP_LINK.match(argument.strip())
    if not match:
        return None
    kind, value = match.groups()
    if kind == "guide" and value:
        return '/how_to{"article_id":"%s"}' % value
    return {"case": "/case_status", "status": "/service_status"}.get(kind)


@dataclass
class _Outcome:
    failed: bool = False


# The webhook request being handled, if any: PTB runs the error handler inside ``process_update``
# (same task), so a failure is told to this request alone, and no process keeps a list of them.
_OUTCOME: ContextVar[Optional[_Outcome]] = ContextVar("messenger_update_outcome", default=None)


class MalformedUpdate(ValueError):
    """The webhook's JSON is not an update this gateway can read; answered 400, not retried."""


# What ``Update.de_json`` raises on JSON of the wrong shape (seen by fuzzing it).
_UNREADABLE = (TypeError, ValueError, KeyError, AttributeError, IndexError, OverflowError)
# Callback query ids are opaque strings; short ones of these letters keep "cb-{id}" a message id.
_QUERY_ID = re.compile(r"[A-Za-z0-9_\-]{1,100}")


def _is_id(value: object) -> bool:
    """Chat, user and message ids are 64-bit integers in the Bot API (never booleans); a longer
    one would not fit the inbound message's ids."""
    return isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63


class MessengerAdapter:
    def __init__(
        self,
        profile: MessengerProfile,
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
        builder = (
            Application.builder()
            .token(profile.token)
            .base_url(profile.base_url)
            .base_file_url(profile.base_file_url)
            .rate_limiter(bot_rate_limiter())
            .concurrent_updates(True)
        )
        if profile.mode == "webhook":
            builder = builder.updater(None)
        self.application = builder.build()
        self.application.add_handler(CallbackQueryHandler(self._on_button))
        self.application.add_handler(MessageHandler(filters.ALL, self._on_message))
        self.application.add_error_handler(self._on_error)

    @property
    def webhook_path(self) -> str:
        return f"/webhooks/messenger/{self.profile.name}/{self.profile.webhook_secret}"

    async def start(self) -> None:
        await self.application.initialize()
        await self.application.start()
        if self.profile.mode == "polling" and self.application.updater is not None:
            await self.application.updater.start_polling()
        elif self._public_url:
            await self.application.bot.set_webhook(
                url=self._public_url + self.webhook_path,
                secret_token=self.profile.webhook_secret if self.profile.secret_header else None,
            )
        logger.info("messenger %s started mode=%s", self.profile.name, self.profile.mode)

    async def stop(self) -> None:
        updater = self.application.updater
        if self.profile.mode == "polling" and updater is not None and updater.running:
            await updater.stop()
        await self.application.stop()
        await self.application.shutdown()

    def authentic(self, path_secret: str, header_secret: Optional[str]) -> bool:
        if not same_secret(path_secret, self.profile.webhook_secret):
            return False
        if self.profile.secret_header:
            return same_secret(header_secret or "", self.profile.webhook_secret)
        return True

    def read(self, data: dict) -> Update:
        """The update a webhook's JSON is; MalformedUpdate when PTB cannot read it (it trusts the
        Bot API's types and fails in many ways on others) or when a message or button press in
        it is not one ``inbound`` can read."""
        try:
            update = Update.de_json(data, self.application.bot)
        except _UNREADABLE:
            raise MalformedUpdate(self.profile.name) from None
        if (update.callback_query is not None or update.effective_message is not None) and self.inbound(update) is None:
            raise MalformedUpdate(self.profile.name)
        return update

    async def process(self, data: dict) -> bool:
        """Handle one webhook update in full; False when it failed and should be retried.
        MalformedUpdate when it cannot be read (see ``read``): a retry would not help."""
        update = self.read(data)
        outcome = _Outcome()
        token = _OUTCOME.set(outcome)
        try:
            await self.application.process_update(update)
        finally:
            _OUTCOME.reset(token)
        return not outcome.failed

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        outcome = _OUTCOME.get()
        if outcome is not None:
            outcome.failed = True
        logger.error("messenger %s update failed error=%s", self.profile.name, type(context.error).__name__)

    def _inbound(self, update: Update, **fields) -> InboundMessage:
        chat = update.effective_chat
        assert chat is not None  # the handlers take only updates from a chat
        group = chat.type != "private"
        return InboundMessage(
            channel=self.profile.name,
            chat_id=str(chat.id),
            user_id=str(update.effective_user.id if update.effective_user else chat.id),
            group=group,
            private_link=self._private_link() if group else None,
            **fields,
        )

    def _private_link(self) -> Optional[str]:
        try:
            username = self.application.bot.username  # read from getMe when the application starts
        except RuntimeError:
            username = None
        return self.profile.private_link.format(username=username) if username and self.profile.private_link else None

    def inbound(self, update: Update) -> Optional[InboundMessage]:
        """The inbound message of an update: a button press, or a message (text, a shared contact,
        a ``/start`` deep link, a voice, audio or video note, anything else "unsupported"); None for other updates and for
        fields of the wrong type (PTB does not check the JSON's types)."""
        chat, user = update.effective_chat, update.effective_user
        if chat is None or not _is_id(chat.id) or (user is not None and not _is_id(user.id)):
            return None
        query = update.callback_query
        if query is not None:
            if not isinstance(query.id, str) or not _QUERY_ID.fullmatch(query.id):
                return None
            data = query.data if isinstance(query.data, str) else ""
            return self._inbound(update, message_id=f"cb-{query.id}", button_id=data[:64])
        message = update.effective_message
        if message is None or not _is_id(message.message_id):
            return None
        fields: dict = {"message_id": str(message.message_id)}
        if message.contact is not None:
            contact = message.contact
            # Trusted only when the contact is the sender's own account.
            own = user is not None and _is_id(contact.user_id) and contact.user_id == user.id
            phone = contact.phone_number if isinstance(contact.phone_number, str) else ""
            # ASCII digits only: ``\D`` would keep digits of any script.
            fields["verified_phone"] = normalize_phone(re.sub(r"[^0-9]", "", phone)) if own else None
            fields["text"] = None
        elif isinstance(message.text, str):
            text = message.text
            if text.startswith("/start"):
                payload = deep_link_payload(text[len("/start") :])
                if payload is None and read_code(text[len("/start") :]):
                    fields["text"] = text[len("/start") :].strip()  # an agent's handoff code: the router opens it
                else:
                    fields["internal_payload"] = payload or "/greet"
            else:
                fields["text"] = text
        elif message.text is not None:
            return None
        elif message.voice or message.audio or message.video_note:
            media = message.voice or message.audio or message.video_note
            mime = getattr(media, "mime_type", None)
            fields["kind"] = "voice"
            fields["audio_mime"] = mime if isinstance(mime, str) and len(mime) <= 64 else None
            fields["fetch_audio"] = self._fetcher(media)
        else:
            fields["kind"] = "unsupported"
        return self._inbound(update, **fields)

    def _fetcher(self, media) -> Callable[[], Awaitable[bytes]]:
        """How to fetch a voice message's sound (getFile, then the file), for a recogniser that
        listens; TooLong for one longer than it takes, without fetching it."""

        async def fetch() -> bytes:
            duration, size = media.duration, media.file_size
            if (isinstance(duration, int) and duration > MAX_SECONDS) or (isinstance(size, int) and size > MAX_BYTES):
                raise TooLong()
            try:
                file = await media.get_file()
                if isinstance(file.file_size, int) and file.file_size > MAX_BYTES:
                    raise TooLong()
                return bytes(await file.download_as_bytearray())
            except TelegramError as error:  # not heard: the citizen gets the kind answer
                logger.info("messenger %s voice not fetched error=%s", self.profile.name, type(error).__name__)
                return b""

        return fetch

    async def _on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        inbound = self.inbound(update)
        if inbound is not None:  # ``read`` refused the others
            await self._answer(inbound)

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        inbound = self.inbound(update)
        if inbound is not None and update.callback_query is not None:
            # Stops the button's spinner; the turn's order is taken first (``_answer`` before any await).
            answering = asyncio.ensure_future(self._stop_spinner(update.callback_query))
            await self._answer(inbound)
            await answering

    async def _stop_spinner(self, query: CallbackQuery) -> None:
        try:
            await query.answer()
        except TelegramError as error:  # the press is answered anyway; only the spinner lingers
            logger.info("messenger %s button not acknowledged error=%s", self.profile.name, type(error).__name__)

    async def _answer(self, inbound: InboundMessage) -> None:
        """The turn, its replies queued behind the chat's earlier ones; sent in order from there."""
        await self._router.handle(inbound, TEXT_LIMIT, keep=self._queues.add)
        self._queues.kick(inbound.conversation_id)

    def _markup(self, message: OutboundMessage):
        keyboard = self._replies.buttons("messenger_keyboard")
        rows = [[KeyboardButton(b["title"]) for b in keyboard]]
        if message.request_contact:
            share = self._replies.render("messenger_share_contact")["text"]
            return ReplyKeyboardMarkup(
                [[KeyboardButton(share, request_contact=True)], *rows], resize_keyboard=True, one_time_keyboard=True
            )
        if message.buttons:
            return InlineKeyboardMarkup([[InlineKeyboardButton(b.title, callback_data=b.id)] for b in message.buttons])
        # «منو» and «اپراتور» stay under the text box.
        return ReplyKeyboardMarkup(rows, resize_keyboard=True, is_persistent=True)

    def _chat(self, chat_id: str) -> int | str:
        return int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id  # "@channel" names stay

    async def send_one(self, chat_id: str, message: OutboundMessage) -> None:
        """One message; network errors retried with backoff (429s by the rate limiter), then a
        SendFailure: worth retrying later, or not (the bot blocked, the chat gone)."""
        voice = await voice_file(self._voice, message)
        if message.text or voice is None:
            text = message.text or message.speak or ""
            # With a voice after it, the buttons go on the voice: the last thing the chat shows.
            markup = None if voice is not None and message.buttons else self._markup(message)
            await self._call(
                lambda: self.application.bot.send_message(chat_id=self._chat(chat_id), text=text, reply_markup=markup)
            )
        if voice is not None:
            markup = self._markup(message) if message.buttons or not message.text else None
            await self._call(
                lambda: self.application.bot.send_voice(
                    chat_id=self._chat(chat_id), voice=voice.read_bytes(), reply_markup=markup
                )
            )

    async def show_typing(self, chat_id: str) -> None:
        await self._call(lambda: self.application.bot.send_chat_action(chat_id=self._chat(chat_id), action=ChatAction.TYPING))

    async def _call(self, call) -> None:  # type: ignore[no-untyped-def]
        try:
            await retrying(call, retry_if_exception_type((NetworkError, TimedOut)))
        except RetryAfter as error:
            raise SendFailure("rate_limited", retry_after=_seconds(error.retry_after)) from None
        except (NetworkError, TimedOut) as error:
            raise SendFailure(type(error).__name__, retry_after=1.0) from None
        except TelegramError as error:
            raise SendFailure(type(error).__name__) from None


def _seconds(value: object) -> float:
    """RetryAfter's ``retry_after``: seconds, or a timedelta in newer python-telegram-bot."""
    total = getattr(value, "total_seconds", None)
    return float(total() if callable(total) else value)  # type: ignore[arg-type]


async def receive(request: web.Request) -> web.Response:
    """``POST /webhooks/messenger/{name}/{secret}``: 200 once handled, 500 to make the messenger retry."""
    adapter = request.app[ADAPTERS].get(request.match_info["name"])
    if not isinstance(adapter, MessengerAdapter) or not adapter.authentic(
        request.match_info["secret"], request.headers.get("X-Telegram-Bot-Api-Secret-Token")
    ):
        return refusal("not_found", 404)
    update = await read_update(request)
    if isinstance(update, web.Response):
        return update
    if not isinstance(update.get("update_id"), int):
        return refusal("malformed", 400)
    try:
        handled = await adapter.process(update)
    except MalformedUpdate:
        return refusal("malformed", 400)
    if not handled:
        return refusal("retry", 500)
    return web.json_response({"ok": True})
