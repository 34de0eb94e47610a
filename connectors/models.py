"""The one inbound message model every channel adapter produces, and what goes back out."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Awaitable, Callable, Literal, Optional

from pydantic import BaseModel, Field


class InboundMessage(BaseModel):
    """A citizen's message from any channel. ``kind`` "unsupported" is a photo, sticker, file...;
    "voice" a voice message, audio file or video note (connectors/speech_in.py)."""

    channel: str = Field(pattern=r"^[a-z]{1,16}$")
    chat_id: str = Field(pattern=r"^[A-Za-z0-9_\-]{1,128}$")
    user_id: str = Field(max_length=128)
    message_id: str = Field(min_length=1, max_length=128)
    text: Optional[str] = None
    # The id of a button the gateway issued, not a payload: payloads never come from outside.
    button_id: Optional[str] = Field(default=None, max_length=64)
    # Set only by gateway code (never from a request): e.g. the greeting a new web chat gets.
    internal_payload: Optional[str] = None
    # A phone the messenger vouches for (a shared contact of the sender's own account).
    verified_phone: Optional[str] = None
    # A chat of several people (a messenger group): identity steps move to a private chat.
    group: bool = False
    # Where the citizen can talk to the bot alone (a messenger's deep link), for group chats.
    private_link: Optional[str] = Field(default=None, max_length=256)
    kind: Literal["text", "unsupported", "voice"] = "text"
    # A voice message's sound, fetched only for a recogniser that listens (connectors/speech_in.py);
    # never stored, logged or serialised.
    audio: Optional[bytes] = Field(default=None, exclude=True, repr=False)
    audio_mime: Optional[str] = Field(default=None, max_length=64)
    # How the channel fetches that sound (connectors/speech_in.py ``heard``: only for a recogniser
    # that listens, inside the turn, so no duplicate is fetched); may raise speech_in.TooLong.
    fetch_audio: Optional[Callable[[], Awaitable[bytes]]] = Field(default=None, exclude=True, repr=False)
    received_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def conversation_id(self) -> str:
        return f"{self.channel}:{self.chat_id}"


class OutButton(BaseModel):
    id: str
    title: str


class OutboundMessage(BaseModel):
    text: str
    buttons: list[OutButton] = Field(default_factory=list)
    # Ask the messenger for a button that shares the citizen's own phone number.
    request_contact: bool = False
    # A person's words (an agent of the call-centre desk), signed with this, e.g. «سارا (کارشناس)»:
    # the web chat shows them as an agent's bubble, text-only channels as a prefix. None: the bot.
    agent_name: Optional[str] = Field(default=None, max_length=80)
    # The citizen said goodbye: the web page forgets the conversation it shows. Only the web chat
    # acts on it; it is never serialised to other channels.
    clear_history: bool = Field(default=False, exclude=True)
    # Words to send as voice with this message (connectors/voice_offer.py); the channel says them
    # after the text, or alone when ``text`` is empty.
    speak: Optional[str] = None
    # Where the web chat's page plays the voice: a signed, expiring link (connectors/voice_links.py).
    audio_url: Optional[str] = None
