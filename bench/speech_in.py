"""Voice in: the whisper-base recogniser's real-time factor and word error rate on this machine.

Over the clips of tests/connectors/speech_clips (synthesised with espeak-ng's Persian voice, as
connectors/voice.py says replies; their words in transcripts.tsv), through the path the gateway
uses: ``WhisperRecogniser`` and its worker process (.venvs/speech). RTF is seconds of recognition
÷ seconds of audio, after the model has loaded (load time printed apart); WER is over normalised
Persian words (nlu/word_errors.py).

    make bench-speech        (installs .venvs/speech first)
    .venvs/app/bin/python -m bench.speech_in [--verbose]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from connectors.speech_in import WhisperRecogniser
from connectors.voice import duration_seconds
from nlu.word_errors import word_errors, words

CLIPS = Path(__file__).resolve().parents[1] / "tests" / "connectors" / "speech_clips"


async def measure(verbose: bool) -> None:
    recogniser = WhisperRecogniser()
    rows = [line.split("\t") for line in (CLIPS / "transcripts.tsv").read_text(encoding="utf-8").splitlines() if line]
    started = time.perf_counter()
    await recogniser.transcribe((CLIPS / rows[0][0]).read_bytes(), "audio/ogg")  # loads the model
    load = time.perf_counter() - started
    pairs, audio, spent = [], 0.0, 0.0
    try:
        for name, reference in rows:
            sound = (CLIPS / name).read_bytes()
            started = time.perf_counter()
            heard = await recogniser.transcribe(sound, "audio/ogg") or ""
            spent += time.perf_counter() - started
            audio += duration_seconds(CLIPS / name) or 0.0
            pairs.append((reference, heard))
            if verbose:
                print(f"{name}\t{reference}\t→ {heard}\t({word_errors(reference, heard)}/{len(words(reference))})")
    finally:
        await recogniser.close()
    total = sum(len(words(r)) for r, _ in pairs)
    errors = sum(word_errors(r, h) for r, h in pairs)
    print(f"whisper-base (int8, greedy, language fa), {len(pairs)} espeak-ng clips, {audio:.1f} s of audio")
    print(f"first call (worker start + model load + one clip): {load:.1f} s")
    print(f"real-time factor: {spent / audio:.2f} ({spent:.1f} s for {audio:.1f} s)")
    print(f"word error rate: {errors / total if total else 0.0:.0%} ({errors}/{total} words)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="each clip's words and what was heard")
    asyncio.run(measure(parser.parse_args().verbose))


if __name__ == "__main__":
    main()
