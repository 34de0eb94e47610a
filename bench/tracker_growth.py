"""What a turn costs Rasa's tracker store as a conversation grows: Rasa 3.6's ``RedisTrackerStore``
beside Hamyar's (``bot/tracker_store.py``), against a real redis-server this script starts.

For each length (turns 10, 100 and 1,000) a conversation of that many turns is stored, then ten
more turns are taken as Rasa's processor takes them: retrieve the tracker, add the turn's events
(the message, a slot, an answer, listen), save. Printed: the median of the ten saves and of the
ten retrievals, for each store and their ratio, in two conversations: one session, and one that
had an earlier session (a chat after a quiet hour: Rasa's store then merges event by event).
Then a turn's retrieve + save, and the events Rasa gets, for Hamyar's store reading whole sessions
and reading a long one as a window (``TRACKER_WINDOW_EVENTS``, bot/tracker_store.py).

Run with the Rasa environment's Python (figures go to bench/REPORT.md):

    PYTHONPATH=. .venvs/rasa/bin/python -m bench.tracker_growth [--turns 10,100,1000] [--saves 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from statistics import median
from typing import Any, Callable, Dict, Iterator, List, Tuple

# Rasa is imported later, by the functions that need it.
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


@contextmanager
def redis_server() -> Iterator[int]:
    """A throwaway redis-server on a free loopback port (no persistence)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (Debian package redis-server)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as data:
        process = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", data],
            stdout=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 10
            while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit("redis-server did not start")
                time.sleep(0.05)
            yield port
        finally:
            process.terminate()
            process.wait(10)


def turn(number: int) -> list:
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

    text = f"وضعیت پرونده شماره {number} چیه؟"
    parse_data = {"intent": {"name": "case_status", "confidence": 0.93}, "entities": [], "text": text}
    return [
        UserUttered(text, parse_data["intent"], [], parse_data),
        SlotSet("service", "pension"),
        ActionExecuted("utter_case_status"),
        BotUttered("پرونده شما در حال بررسی است.", {"buttons": [{"title": "بله", "payload": "/affirm"}]}),
        ActionExecuted("action_listen"),  # a turn ends listening, as Rasa stores it
    ]


def session_start() -> list:
    from rasa.shared.core.events import ActionExecuted, SessionStarted

    return [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]


def conversation(turns: int, earlier_session: bool) -> list:
    events = []
    if earlier_session:
        events += session_start() + turn(0)
    events += session_start()
    for number in range(1, turns + 1):
        events += turn(number)
    return events


async def costs(store: Any, turns: int, saves: int, earlier_session: bool, sizes: List[int] = None) -> Tuple[float, float]:
    """Median seconds of a save and of a retrieval at turns ``turns + 1 …`` (``sizes`` gets the
    number of events of each retrieved tracker)."""
    from rasa.shared.core.trackers import DialogueStateTracker

    sender = uuid.uuid4().hex
    # With ``sizes``, the last 20 turns are stored one by one (a window's marks are kept as turns
    # end); Rasa's store would take minutes over them after an earlier session.
    lead = max(turns - 20, 0) if sizes is not None else turns
    await store.save(DialogueStateTracker.from_events(sender, conversation(lead, earlier_session), store.domain.slots))
    for number in range(lead + 1, turns + 1):
        tracker = await store.retrieve(sender)
        for event in turn(number):
            tracker.update(event)
        await store.save(tracker)
    save_times, retrieve_times = [], []
    for number in range(turns + 1, turns + saves + 1):
        started = time.perf_counter()
        tracker = await store.retrieve(sender)
        retrieve_times.append(time.perf_counter() - started)
        if sizes is not None:
            sizes.append(len(tracker.events))
        for event in turn(number):
            tracker.update(event)
        started = time.perf_counter()
        await store.save(tracker)
        save_times.append(time.perf_counter() - started)
    return median(save_times), median(retrieve_times)


def stores(port: int) -> Dict[str, Callable[[], Any]]:
    from cryptography.fernet import Fernet
    from rasa.core.tracker_store import RedisTrackerStore
    from rasa.shared.core.domain import Domain

    from agencies.sealing import Sealer
    from bot.tracker_store import DEFAULT_WINDOW_EVENTS, HamyarTrackerStore

    domain = Domain.load(str(Path(__file__).resolve().parents[1] / "bot" / "domain.yml"))
    sealer = Sealer(Fernet.generate_key().decode())
    common = {"host": "127.0.0.1", "port": port, "record_exp": 3600}
    return {
        "stock": lambda: RedisTrackerStore(domain, key_prefix="stock", **common),
        "hamyar": lambda: HamyarTrackerStore(domain, key_prefix="rasa", sealer=sealer, window_events=0, **common),
        "window": lambda: HamyarTrackerStore(
            domain,
            key_prefix="window",
            sealer=sealer,
            window_events=os.environ.get("TRACKER_WINDOW_EVENTS") or DEFAULT_WINDOW_EVENTS,
            **common,
        ),
    }


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


async def main(lengths: List[int], saves: int) -> None:
    with redis_server() as port:
        made = stores(port)
        for earlier_session, title in ((False, "one session"), (True, "after an earlier session")):
            print(f"\n### {title}: median of {saves} turns, milliseconds\n")
            print("| turns | stock save | hamyar save | stock/hamyar | stock retrieve | hamyar retrieve |")
            print("| --- | --- | --- | --- | --- | --- |")
            for turns in lengths:
                figures = {name: await costs(made[name](), turns, saves, earlier_session) for name in ("stock", "hamyar")}
                (stock_save, stock_read), (ours_save, ours_read) = figures["stock"], figures["hamyar"]
                print(
                    f"| {turns} | {milliseconds(stock_save)} | {milliseconds(ours_save)} | {stock_save / ours_save:.1f}× "
                    f"| {milliseconds(stock_read)} | {milliseconds(ours_read)} |",
                    flush=True,
                )
        window = made["window"]().window_events
        print(f"\n### one session, retrieve + save of a turn: median of {saves} turns, milliseconds (window {window} events)\n")
        print("| turns | whole session | events read | window | events read |")
        print("| --- | --- | --- | --- | --- |")
        for turns in lengths:
            row = []
            for name in ("hamyar", "window"):
                sizes: List[int] = []
                save, read = await costs(made[name](), turns, saves, False, sizes)
                row += [milliseconds(save + read), str(int(median(sizes)))]
            print(f"| {turns} | " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", default="10,100,1000", help="conversation lengths, comma-separated")
    parser.add_argument("--saves", type=int, default=10, help="turns measured at each length")
    arguments = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stops its redis-server too
    asyncio.run(main([int(n) for n in arguments.turns.split(",")], arguments.saves))
