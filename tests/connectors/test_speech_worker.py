"""The whisper-base recogniser with its real worker process (.venvs/speech, installed by
`make test`): words from a clip, a sound it cannot read, a dead worker started again, and no
network (HF_HUB_OFFLINE; the model comes from the wheels)."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.speech_in import MAX_BYTES, TooLong, WhisperRecogniser, recogniser_from_env

CLIPS = Path(__file__).with_name("speech_clips")


@pytest.fixture
async def whisper():
    recogniser = WhisperRecogniser()
    yield recogniser
    await recogniser.close()


async def test_a_clip_is_heard_and_a_dead_worker_is_started_again(whisper):
    words = await whisper.transcribe((CLIPS / "clip02.ogg").read_bytes(), "audio/ogg")
    assert words and words.strip()
    first = whisper._process
    assert first is not None
    first.kill()
    await first.wait()
    assert await whisper.transcribe((CLIPS / "clip01.ogg").read_bytes(), "audio/ogg")
    assert whisper._process is not None and whisper._process.pid != first.pid


async def test_what_is_not_a_sound_is_not_heard_and_too_much_is_refused(whisper):
    assert await whisper.transcribe(b"not a sound at all", "audio/ogg") is None
    with pytest.raises(TooLong):
        await whisper.transcribe(b"\0" * (MAX_BYTES + 1), "audio/ogg")


async def test_a_worker_that_cannot_start_is_not_heard():
    broken = WhisperRecogniser({"HAMYAR_SPEECH_PYTHON": "/bin/false"})
    assert await broken.transcribe((CLIPS / "clip01.ogg").read_bytes(), "audio/ogg") is None
    await broken.close()


def test_whisper_base_is_chosen_by_configuration():
    chosen = recogniser_from_env({"HAMYAR_RECOGNISER": "whisper-base"})
    assert isinstance(chosen, WhisperRecogniser) and chosen.listens
