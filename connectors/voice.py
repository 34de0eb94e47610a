"""Replies as voice: made offline by Debian's espeak-ng (Persian voice ``fa``), encoded to
OGG/Opus by ``opusenc`` (the messengers' voice format) and cached on disk by text.

``VoiceMaker.ogg(text)`` gives the file of a reply's voice, made once per text: the file is named
by a hash of what is said, so every gateway process on the machine shares it, and the oldest
files go when the cache passes its size cap.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from connectors.models import OutboundMessage
from connectors.speech_text import spoken

logger = logging.getLogger("gateway.voice")
MIME_TYPE = "audio/ogg"
DEFAULT_CACHE = Path(__file__).resolve().parent.parent / ".run" / "voice"


class VoiceError(Exception):
    """No voice could be made (the engine is missing or failed): the reply goes as text only."""


@dataclass(frozen=True)
class Engine:
    """The commands, so a test or a benchmark can name other binaries or settings."""

    espeak: str = "espeak-ng"
    voice: str = "fa"
    # Words a minute: espeak-ng's default (175) is fast for elderly listeners.
    speed: int = 140
    opusenc: str = "opusenc"
    # Speech at 24 kb/s is clear on a phone and small on a poor line.
    bitrate_kbps: int = 24

    def available(self) -> bool:
        return bool(shutil.which(self.espeak) and shutil.which(self.opusenc))


class VoiceMaker:
    def __init__(self, cache_dir: Path = DEFAULT_CACHE, max_bytes: int = 200 * 1024 * 1024, engine: Engine = Engine()) -> None:
        self.cache_dir = cache_dir
        self.max_bytes = max_bytes
        self.engine = engine
        self.synthesised = 0  # how many files this maker made (not taken from the cache)
        self._making: dict[str, asyncio.Future] = {}

    def path_for(self, text: str) -> Path:
        said = spoken(text)
        digest = hashlib.sha256(f"{self.engine.voice}:{self.engine.speed}:{said}".encode()).hexdigest()[:32]
        return self.cache_dir / f"{digest}.ogg"

    async def ogg(self, text: str) -> Path:
        """The OGG/Opus file of ``text`` said aloud; VoiceError when none can be made."""
        path = self.path_for(text)
        if path.exists():
            os.utime(path)  # recently used: the last to be evicted
            return path
        # Two turns asking for the same new text at once make it once.
        pending = self._making.get(path.name)
        if pending is None:
            pending = self._making[path.name] = asyncio.ensure_future(self._make(spoken(text), path))
            pending.add_done_callback(lambda _: self._making.pop(path.name, None))
        await asyncio.shield(pending)
        return path

    async def _make(self, said: str, path: Path) -> None:
        if not said:
            raise VoiceError("nothing to say")
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, partial = tempfile.mkstemp(dir=path.parent, suffix=".part")
        os.close(handle)
        try:
            wav = await _run(
                [self.engine.espeak, "-v", self.engine.voice, "-s", str(self.engine.speed), "--stdout"], said.encode()
            )
            await _run(
                [self.engine.opusenc, "--quiet", "--speech", "--bitrate", str(self.engine.bitrate_kbps), "-", partial], wav
            )
            os.replace(partial, path)  # whole files only: another process may read it now
            self.synthesised += 1
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
        self._evict()

    def _evict(self) -> None:
        files = sorted(self.cache_dir.glob("*.ogg"), key=lambda p: p.stat().st_mtime)
        total = sum(p.stat().st_size for p in files)
        for oldest in files[:-1]:  # the newest stays whatever its size
            if total <= self.max_bytes:
                break
            total -= oldest.stat().st_size
            oldest.unlink(missing_ok=True)


async def _run(command: list[str], given: bytes) -> bytes:
    try:
        process = await asyncio.create_subprocess_exec(
            *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
    except FileNotFoundError:
        raise VoiceError(f"{command[0]} is not installed") from None
    out, err = await process.communicate(given)
    if process.returncode != 0:
        raise VoiceError(f"{command[0]} failed: {err.decode(errors='replace')[:200]}")
    return out


def duration_seconds(ogg: Path) -> Optional[float]:
    """The playing time ``opusinfo`` reports, or None when it is not a valid Opus stream."""
    result = subprocess.run(["opusinfo", str(ogg)], capture_output=True, text=True, check=False)
    match = re.search(r"Playback length: (?:(\d+)h:)?(\d+)m:([\d.]+)s", result.stdout)
    if result.returncode != 0 or match is None:
        return None
    hours, minutes, seconds = match.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)


async def voice_file(maker: Optional[VoiceMaker], message: OutboundMessage) -> Optional[Path]:
    """The voice to send with ``message``, or None: none asked for, or none could be made (then
    the words go as text)."""
    if maker is None or not message.speak:
        return None
    try:
        return await maker.ogg(message.speak)
    except VoiceError as error:
        logger.error("voice not made error=%s", error)
        return None
