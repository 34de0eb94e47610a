"""Voice in: what a citizen's voice message (or audio file, or video note) said, when Hamyar can tell.

A ``Recogniser`` turns audio into text, or None when it cannot. Chosen by ``HAMYAR_RECOGNISER``
(docs/configuration.md): ``none`` (the default) hears nothing, so every voice message gets the
kind answer ``gateway_voice`` (bot/replies.yml); ``whisper-base`` is Whisper base in a process of
its own (connectors/speech_worker.py). Its words are often wrong (docs/voice.md, "Voice in"), so
the router asks the citizen to confirm them before anything is done (connectors/heard.py). A
channel gives a voice message a way to fetch its sound (``InboundMessage.fetch_audio``), used only
by a recogniser that ``listens``, inside the turn.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
from pathlib import Path
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

    async def close(self) -> None:
        """Let go of what it holds (the gateway's shutdown)."""
        ...


class NoRecogniser:
    """Hears nothing: every voice message gets the kind answer."""

    listens = False

    async def transcribe(self, audio: bytes, mime: str) -> Optional[str]:
        return None

    async def close(self) -> None:
        return None


class TooLong(Exception):
    """The sound is longer than a recogniser takes (``MAX_SECONDS``): the citizen is told so."""


# A voice message longer than this is refused kindly; a file larger than this is not fetched.
MAX_SECONDS = 60
MAX_BYTES = 4 * 1024 * 1024
ROOT = Path(__file__).resolve().parents[1]
WORKER = ROOT / "connectors" / "speech_worker.py"


class WhisperRecogniser:
    """Whisper base in its own process (connectors/speech_worker.py), started at the first voice
    message and again when it has died; one sound at a time. The python that runs it is
    ``HAMYAR_SPEECH_PYTHON`` (default .venvs/speech/bin/python, which `make run` installs when
    this recogniser is chosen)."""

    listens = True

    def __init__(self, env: Optional[Mapping[str, str]] = None) -> None:
        env = os.environ if env is None else env
        self.python = env.get("HAMYAR_SPEECH_PYTHON") or str(ROOT / ".venvs" / "speech" / "bin" / "python")
        # Loading the model takes a few seconds; a minute of speech about 40 on two cores.
        self.start_timeout = float(env.get("HAMYAR_SPEECH_START_SECONDS", "120"))
        self.timeout = float(env.get("HAMYAR_SPEECH_TIMEOUT_SECONDS", "120"))
        self._process: Optional[asyncio.subprocess.Process] = None
        self._lock = asyncio.Lock()

    async def _worker(self) -> asyncio.subprocess.Process:
        if self._process is not None and self._process.returncode is None:
            return self._process
        # -I: none of the gateway's PYTHON* settings or paths; the worker needs only its env.
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "HAMYAR_SPEECH_MAX_SECONDS": str(MAX_SECONDS)}
        process = await asyncio.create_subprocess_exec(
            self.python, "-I", str(WORKER), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env
        )
        self._process = process
        assert process.stdout is not None
        ready = await asyncio.wait_for(process.stdout.readline(), self.start_timeout)
        if not ready:
            raise ConnectionError("the speech worker stopped while loading its model")
        logger.info("speech worker started pid=%d", process.pid)
        return process

    async def transcribe(self, audio: bytes, mime: str) -> Optional[str]:
        if len(audio) > MAX_BYTES:
            raise TooLong()
        async with self._lock:
            try:
                process = await self._worker()
                assert process.stdin is not None and process.stdout is not None
                process.stdin.write(json.dumps({"audio": base64.b64encode(audio).decode()}).encode() + b"\n")
                await process.stdin.drain()
                line = await asyncio.wait_for(process.stdout.readline(), self.timeout)
                if not line:
                    raise ConnectionError("the speech worker stopped")
            except (OSError, asyncio.TimeoutError) as error:  # ConnectionError is an OSError
                # Stopped, so the next voice message starts a fresh one.
                logger.error("speech worker failed error=%s", type(error).__name__)
                self._stop()
                return None
        answer = json.loads(line)
        if answer.get("too_long"):
            raise TooLong()
        if "error" in answer:
            logger.info("speech worker could not read the sound error=%s", answer["error"])
        return answer.get("text") or None

    def _stop(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.kill()
        self._process = None

    async def close(self) -> None:
        """Stop the worker (the gateway's shutdown)."""
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            if process.stdin is not None:
                process.stdin.close()  # the worker ends at the end of its input
            try:
                await asyncio.wait_for(process.wait(), 5)
            except asyncio.TimeoutError:
                process.kill()
                await process.wait()


RECOGNISERS: dict[str, type] = {"none": NoRecogniser, "whisper-base": WhisperRecogniser}


def recogniser_from_env(env: Optional[Mapping[str, str]] = None) -> Recogniser:
    """The recogniser ``HAMYAR_RECOGNISER`` names (default ``none``); an unknown name stops start-up."""
    name = (os.environ if env is None else env).get("HAMYAR_RECOGNISER", "none").strip() or "none"
    if name not in RECOGNISERS:
        raise ValueError(f"HAMYAR_RECOGNISER={name!r} is not one of {sorted(RECOGNISERS)}")
    recogniser: Recogniser = RECOGNISERS[name]()
    return recogniser


async def heard(recogniser: Recogniser, message: InboundMessage) -> Optional[str]:
    """The words of a voice message, or None (then the citizen gets the kind answer); TooLong for
    one longer than a recogniser takes. Logged without its words, its audio or any id: only that a
    voice came and whether it was understood."""
    words = None
    tag = conversation_tag(message.conversation_id)
    try:
        audio = message.audio
        if recogniser.listens and audio is None and message.fetch_audio is not None:
            audio = await message.fetch_audio()
        if recogniser.listens and audio:
            words = await recogniser.transcribe(audio, message.audio_mime or "audio/ogg")
    except TooLong:
        logger.info("voice message conversation=%s too long", tag)
        raise
    words = words.strip() if words else None
    logger.info("voice message conversation=%s understood=%s", tag, bool(words))
    return words or None
