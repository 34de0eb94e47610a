"""The voice engine's real-time factor on this machine, and what a cache hit costs.

Over a dozen real replies of bot/replies.yml (placeholders filled with a code, a date and an
amount): seconds of synthesis (espeak-ng) + encoding (opusenc) ÷ seconds of audio, each reply made
once into an empty cache; then the same replies again, taken from the cache.

    .venvs/app/bin/python -m bench.voice            (prints the figures)
    .venvs/app/bin/python -m bench.voice --sample   (writes .run/voice-sample.ogg to play)
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from pathlib import Path

from connectors.voice import DEFAULT_CACHE, VoiceMaker, duration_seconds
from content.replies import Replies

COUNT = 12
VALUES = {
    "title": "مستمری بازنشستگی",
    "status": "در حال بررسی",
    "last_update": "۱۵ مهر ۱۴۰۵",
    "next_step": "مدارک را تا ۲۰ مهر به شعبه ببرید",
    "office": "شعبه ۱۲ تهران، تلفن ۰۲۱۸۸۷۷۶۶۵۵",
    "tracking_code": "۱۴۰۵۱۲۳۴۵۶",
    "agency_name": "تأمین اجتماعی",
    "service_name": "گذرنامه",
    "phone": "۰۹۱۲۳۴۵۶۷۸۹",
    "code": "۱۲۳۴۵۶",
}
SAMPLE = "پرونده مستمری شما با کد پیگیری ۱۴۰۵۱۲۳۴۵۶ در حال بررسی است. آخرین تغییر: ۱۵ مهر ۱۴۰۵. مبلغ ۲٬۵۰۰٬۰۰۰ تومان."


def texts() -> list[str]:
    """The first dozen replies of a sentence or more whose placeholders ``VALUES`` fills."""
    replies, chosen = Replies(), []
    for key, entry in replies.entries().items():
        try:
            text = replies.render(key, **VALUES)["text"] if "text" in entry else ""
        except (KeyError, IndexError):
            continue
        if len(text) >= 40:
            chosen.append(text)
    return chosen[:COUNT]


async def measure() -> None:
    with tempfile.TemporaryDirectory() as folder:
        maker = VoiceMaker(Path(folder))
        made = audio = 0.0
        for text in texts():
            started = time.perf_counter()
            path = await maker.ogg(text)
            made += time.perf_counter() - started
            audio += duration_seconds(path) or 0.0
        started = time.perf_counter()
        for text in texts():
            await maker.ogg(text)
        hits = (time.perf_counter() - started) / COUNT
    print(f"replies: {COUNT}, audio: {audio:.1f} s, synthesis + encoding: {made:.2f} s")
    print(f"real-time factor: {made / audio:.3f} (1 s of speech in {1000 * made / audio:.0f} ms)")
    print(f"per reply: {1000 * made / COUNT:.0f} ms made, {1000 * hits:.2f} ms from the cache")


async def sample() -> Path:
    path = await VoiceMaker().ogg(SAMPLE)
    target = DEFAULT_CACHE.parent / "voice-sample.ogg"
    shutil.copyfile(path, target)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", action="store_true", help="write .run/voice-sample.ogg and stop")
    if parser.parse_args().sample:
        print(asyncio.run(sample()))
    else:
        asyncio.run(measure())


if __name__ == "__main__":
    main()
