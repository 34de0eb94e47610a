"""Voice in: what a citizen's voice message (or audio file, or video note) said, when Hamyar can tell.

A ``Recogniser`` turns audio into text, or None when it cannot. The one wired today is
``NoRecogniser``: no offline Persian recogniser that ships its model inside a package is good
enough (docs/voice.md, "Voice in"), so every voice message gets the kind answer ``gateway_voice``
(bot/replies.yml) and never reaches Rasa. A channel fetches the audio only for a recogniser that
``listens``. Chosen by ``HAMYAR_RECOGNISER`` (docs/configuration.md).
"""

from __future__ import annotations

import logging
import os
from typing import Mapping, Optional, Protocol

from connectors.models import InboundMessage
from nlu.logtag import conversation_tag

logger = logging.getLogger("gateway.speech_in")


class Recogniser(Protocol):
    # False: the audio is not worth fetching from the messenger (nothing would hear it).
    listens: bool

    async def transcribe(self, audio: bytes, mime: str) -> Optional[str]:
        """The words said in ``audio`` (``mime`` e.g. "audio/ogg"), or None when not understood."""
        ...


class NoRecogniser:
    """Hears nothing: every voice message gets the kind answer."""

    listens = False

    async def transcribe(self, audio: bytes, mime: str) -> Optional[str]:
        return None


RECOGNISERS: dict[str, type] = {"none": NoRecogniser}


def recogniser_from_env(env: Optional[Mapping[str, str]] = None) -> Recogniser:
    """The recogniser ``HAMYAR_RECOGNISER`` names (default ``none``); an unknown name stops start-up."""
    name = (os.environ if env is None else env).get("HAMYAR_RECOGNISER", "none").strip() or "none"
    if name not in RECOGNISERS:
        raise ValueError(f"HAMYAR_RECOGNISER={name!r} is not one of {sorted(RECOGNISERS)}")
    recogniser: Recogniser = RECOGNISERS[name]()
    return recogniser


async def heard(recogniser: Recogniser, message: InboundMessage) -> Optional[str]:
    """The words of a voice message, or None (then the citizen gets the kind answer). Logged
    without its words, its audio or any id: only that a voice came and whether it was understood."""
    words = None
    if recogniser.listens and message.audio:
        words = await recogniser.transcribe(message.audio, message.audio_mime or "audio/ogg")
    words = words.strip() if words else None
    logger.info("voice message conversation=%s understood=%s", conversation_tag(message.conversation_id), bool(words))
    return words or None
