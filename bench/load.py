"""Load benchmark of the whole path (`make bench-load`): the signed generic webhook, the
gateway, Rasa, the actions, the sandbox agency and Redis, started on free ports.

1. Mixed (about half button presses) and typed-only loads at 1, 8, 32 and 64 concurrent
   conversations of 10 turns, closed loop: msg/s, p50/p95/p99, errors, time-outs, CPU per
   message of each process, peak RSS of all of them.
2. The growth curve: one conversation to 1,010 turns; median turn at turns 11–20, 100–110 and
   the last eleven.
3. Rasa restarted with its stock ``RedisTrackerStore`` (a copy of endpoints.yml with ``type:
   redis``): the growth curve and one load level again, as a ratio to the project's own store.

    .venvs/app/bin/python -m bench.load [--quick] [--levels 1,8,32,64] [--duration 40] [--messages N]
        [--growth-turns 1010] [--growth-seconds 150] [--model models/hamyar.tar.gz] [--out bench/out]

Writes load.md, load.png and load.json to --out and prints a summary. The defaults take at most
about 13 minutes on 2 cores (each growth curve stops after --growth-seconds); --quick (levels 1
and 8, 200 messages a run, growth to 120 turns) at most about 8.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

from bench import load_client, load_report
from bench.load_stack import ROOT, SOURCE, RssSampler, Stack, start, tracker_store_type, with_tracker_store


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=Path(os.environ.get("HAMYAR_TEST_MODEL") or ROOT / "models/hamyar.tar.gz"))
    parser.add_argument("--levels", default="1,8,32,64", help="concurrent conversations, comma-separated")
    parser.add_argument("--mixes", default="mixed,typed", help="mixed (half button presses) and/or typed")
    parser.add_argument("--duration", type=float, default=40, help="seconds a run may take at most")
    parser.add_argument("--messages", type=int, default=None, help="messages a run sends at most")
    parser.add_argument("--turns", type=int, default=10, help="turns of each conversation")
    parser.add_argument("--growth-turns", type=int, default=1010)
    parser.add_argument("--growth-seconds", type=float, default=150, help="the growth curve stops here if not done")
    parser.add_argument("--compare-clients", type=int, default=8, help="the load level run again with the stock store (typed)")
    parser.add_argument("--rasa-workers", type=int, default=1, help="Rasa servers the gateway spreads turns over")
    parser.add_argument("--no-stock", action="store_true", help="skip the stock tracker store")
    parser.add_argument("--timeout", type=float, default=30, help="seconds the client waits for an answer")
    parser.add_argument("--quick", action="store_true", help="levels 1 and 8, 200 messages a run, growth to 120 turns")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args(argv)
    if args.quick:
        args.levels, args.messages, args.growth_turns = "1,8", args.messages or 200, min(args.growth_turns, 120)
    args.levels = [int(level) for level in args.levels.split(",")]
    args.mixes = [mix for mix in args.mixes.split(",") if mix]
    if set(args.mixes) - {"mixed", "typed"} or args.growth_turns < 30:
        parser.error("--mixes takes mixed and typed; --growth-turns at least 30")
    return args


class Bench:
    """One stack and the measurements taken on it, in the order they ran."""

    def __init__(self, stack: Stack, args: argparse.Namespace, typed: list[str]) -> None:
        self.stack = stack
        self.args = args
        self.typed = typed
        self.rss = RssSampler(stack)
        self.runs: list[dict] = []
        self.growths: list[dict] = []

    def warm_up(self) -> None:
        """A few turns first, not counted: the first parses of a fresh Rasa load its graphs."""
        asyncio.run(self._load(clients=2, buttons=True, messages=20))

    async def _load(
        self, clients: int, buttons: bool, messages: Optional[int], seconds: Optional[float] = None
    ) -> load_client.Result:
        return await load_client.run_load(
            self.stack.gateway,
            SOURCE,
            self.stack.secret,
            self.typed,
            clients,
            buttons,
            messages,
            seconds,
            self.args.turns,
            self.args.timeout,
        )

    def load(self, store: str, mix: str, clients: int) -> dict:
        before = self.stack.cpu()
        self.rss.reset()
        result = asyncio.run(self._load(clients, mix == "mixed", self.args.messages, self.args.duration))
        after = self.stack.cpu()
        figures = result.summary()
        count = max(figures["messages"], 1)
        run = {
            "store": store,
            "mix": mix,
            "clients": clients,
            **figures,
            "cpu_per_message": {name: (after[name] - before.get(name, 0.0)) / count for name in after},
            "peak_rss": self.rss.peak,
            "pss_after": self.stack.pss(),
        }
        self.runs.append(run)
        print(load_report.run_line(run), flush=True)
        return run

    def growth(self, store: str, store_type: str) -> dict:
        args = self.args
        last = args.growth_turns
        spans = [(11, 20), (100, 110), (last - 10, last)]
        # CPU of each window's turns, process by process: unlike latency, not moved by whatever
        # else the 2 cores are doing.
        edges = {edge for first, end in spans for edge in (first, end + 1)}
        snapshots: dict[int, dict[str, float]] = {}

        def before_turn(number: int) -> None:
            if number in edges:
                snapshots[number] = self.stack.cpu()

        result = asyncio.run(
            load_client.run_growth(
                self.stack.gateway,
                SOURCE,
                self.stack.secret,
                load_client.typed_messages(intents=load_client.GROWTH_INTENTS),
                last,
                args.growth_seconds,
                args.timeout,
                windows=tuple(dict.fromkeys(spans)),
                before_turn=before_turn,
            )
        )
        figures = result.summary()
        growth = {
            "store": store,
            "store_type": store_type,
            "turns_reached": len(result.turns),
            "complete": len(result.turns) >= last,
            "seconds": result.seconds,
            "errors": figures["errors"],
            "timeouts": figures["timeouts"],
            "windows": [
                {
                    "label": f"{first}–{end}",
                    "median": load_client.window_median(result, first, end),
                    "cpu_ms": window_cpu(snapshots, first, end),
                }
                for first, end in dict.fromkeys(spans)
            ],
            "latencies": [turn.seconds for turn in result.turns],
        }
        self.growths.append(growth)
        print(load_report.growth_line(growth), flush=True)
        return growth


def window_cpu(snapshots: dict[int, dict[str, float]], first: int, end: int) -> Optional[dict[str, float]]:
    """CPU milliseconds a turn of turns ``first``..``end``, by process; None if not all were reached."""
    if first not in snapshots or end + 1 not in snapshots:
        return None
    before, after = snapshots[first], snapshots[end + 1]
    return {name: (after[name] - before[name]) * 1000 / (end - first + 1) for name in after}


def git(*command: str) -> str:
    return subprocess.run(["git", *command], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def measure(args: argparse.Namespace, workdir: Path) -> dict:
    typed = load_client.typed_messages()
    endpoints = ROOT / "endpoints.yml"
    print(f"starting the stack (model {args.model}) in {workdir}", flush=True)
    stack = start(workdir, args.model, args.rasa_workers)
    own_type = tracker_store_type(endpoints, stack.env)
    print(f"ready in {stack.ready_seconds:.1f} s; tracker store {own_type}", flush=True)
    bench = Bench(stack, args, typed)
    bench.rss.start()
    report: dict = {"ready_seconds": stack.ready_seconds}
    try:
        bench.warm_up()
        for mix in args.mixes:
            for clients in args.levels:
                bench.load("own", mix, clients)
        bench.growth("own", own_type)
        if not args.no_stock:
            own = next((r for r in bench.runs if r["mix"] == "typed" and r["clients"] == args.compare_clients), None)
            own = own or bench.load("own", "typed", args.compare_clients)
            stock_endpoints = with_tracker_store(endpoints, "redis", workdir / "endpoints.stock.yml")
            report["restart_seconds"] = stack.restart_rasa(stock_endpoints)
            print(f"Rasa restarted with the stock RedisTrackerStore in {report['restart_seconds']:.1f} s", flush=True)
            bench.warm_up()
            bench.growth("stock", "redis")
            report["comparison"] = {"own": own, "stock": bench.load("stock", "typed", args.compare_clients)}
    except BaseException:
        print(stack.log_tails(), file=sys.stderr)
        raise
    finally:
        bench.rss.stop()
        stack.stop()
    budget = " or ".join(
        part
        for part in (f"{args.messages} messages" if args.messages else "", f"{args.duration:.0f} s" if args.duration else "")
        if part
    )
    report.update(
        runs=bench.runs,
        growths=bench.growths,
        peak_rss=bench.rss.overall,
        peak_pss=max((run["pss_after"] for run in bench.runs if run["store"] == "own"), default=0),
        setup={
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": git("rev-parse", "--short", "HEAD"),
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
            "cores": os.cpu_count(),
            "model": str(args.model),
            "source": SOURCE,
            "turns": args.turns,
            "budget": f"until {budget}, whichever comes first",
            "typed_count": len(typed),
            "intents": list(load_client.INTENTS),
            "command": "python -m bench.load " + shlex.join(sys.argv[1:]),
        },
    )
    return report


def main(argv: list[str]) -> None:
    args = arguments(argv)
    if not args.model.exists():
        sys.exit(f"no model at {args.model}: train one (make run does) or give --model")
    began = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="hamyar-bench-"))
    report = measure(args, workdir)
    # The processes' logs are kept when a turn failed (or the bench did): they say why.
    if any(r["errors"] or r["timeouts"] for r in report["runs"] + report["growths"]):
        print(f"some turns failed: the processes' logs are in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    load_report.write(report, args.out)
    print(f"\n{load_report.summary(report)}\n\nwrote {args.out}/load.md, load.png, load.json in {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
