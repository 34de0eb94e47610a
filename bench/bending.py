"""Task success over scripted bending conversations (`make bench-bending`): citizens who ask
something else inside a form, say «ندارم», change their mind, ask two things at once or go
off-topic (bench/bending.yml), each a conversation of its own through the signed generic webhook,
on the whole stack started as the load benchmark starts it (bench/load_stack.py).

    .venvs/app/bin/python -m bench.bending [--model models/hamyar.tar.gz] [--only NAME,...] [--out bench/out]

Prints the figures and writes bending.md to --out: success overall, by category and by form,
turns to success, «متوجه نشدم» answers, and the failing conversations with their last answer.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shlex
import shutil
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import aiohttp

from bench import bending_report
from bench.bending_script import SCRIPT, Conversation, Verdict, judge, load
from bench.load import git
from bench.load_client import Bridge
from bench.load_stack import ROOT, SOURCE, Stack, start
from desk.db import upgrade
from nlu.persian import persian_digits

# Every conversation confirms one of a few demo phones: limits far above the benchmark's pace
# (their defaults allow 3 codes a phone in 10 minutes; tests/security/test_sms_limits.py checks them).
LIMITS = {
    "SMS_COOLDOWN_SECONDS": "0",
    "SMS_PER_PHONE_10MIN": "100000",
    "SMS_PER_PHONE_DAY": "100000",
    "SMS_PER_REQUESTER_HOUR": "100000",
}
SMS_CODE = re.compile(r"\d{6}")


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=Path(os.environ.get("HAMYAR_TEST_MODEL") or ROOT / "models/hamyar.tar.gz"))
    parser.add_argument("--script", type=Path, default=SCRIPT)
    parser.add_argument("--only", default="", help="names of conversations to run, comma-separated")
    parser.add_argument("--timeout", type=float, default=30, help="seconds the client waits for an answer")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    return parser.parse_args(argv)


class Citizen:
    """Runs scripted conversations against one stack, each with a chat of its own."""

    def __init__(self, stack: Stack, session: aiohttp.ClientSession, timeout: float) -> None:
        self._stack = stack
        self._session = session
        self._bridge = Bridge(session, stack.gateway, SOURCE, stack.secret, timeout)

    async def sms_code(self, phone: str) -> Optional[str]:
        """The one-time code the sandbox last sent to ``phone``, as a citizen types it."""
        async with self._session.get(
            f"http://127.0.0.1:{self._stack.ports['sandbox']}/sms/v1/outbox",
            params={"to": phone},
            headers={"Authorization": f"Bearer {self._stack.env['SMS_TOKEN']}"},
        ) as response:
            messages = (await response.json())["messages"]
        found = SMS_CODE.search(messages[-1]["text"]) if messages else None
        return persian_digits(found.group(0)) if found else None

    async def converse(self, conversation: Conversation) -> tuple[list[list[str]], Optional[str]]:
        """The texts answered to each turn, and why the script stopped early (None: it did not)."""
        chat_id = f"bend-{uuid.uuid4().hex[:12]}"
        answers: list[list[str]] = []
        offered: dict[str, str] = {}
        for number, turn in enumerate(conversation.turns, 1):
            button, text = None, None
            if turn.kind == "press":
                button = offered.get(turn.value)
                if button is None:
                    return answers, f"turn {number}: no button «{turn.value}» to press"
            elif turn.kind == "sms":
                text = await self.sms_code(turn.value)
                if text is None:
                    return answers, f"turn {number}: no SMS code was sent"
            else:
                text = turn.value
            result, replies = await self._bridge.send(chat_id, button, text)
            if result.error or result.timeout:
                return answers, f"turn {number}: {result.error or 'timed out'}"
            answers.append([reply.get("text", "") for reply in replies])
            offered = {b["title"]: b["id"] for reply in replies for b in reply.get("buttons", [])}
        return answers, None


async def run_all(stack: Stack, conversations: list[Conversation], misunderstood: str, timeout: float) -> list[Verdict]:
    """One conversation after another: the SMS code read for one is surely its own."""
    verdicts = []
    async with aiohttp.ClientSession() as session:
        citizen = Citizen(stack, session, timeout)
        for conversation in conversations:
            answers, stopped = await citizen.converse(conversation)
            verdict = judge(conversation, answers, misunderstood, stopped)
            verdicts.append(verdict)
            print(
                f"{'ok  ' if verdict.success else 'FAIL'} {conversation.name}"
                + ("" if verdict.success else f": {bending_report.why(verdict)}"),
                flush=True,
            )
    return verdicts


def main(argv: list[str]) -> None:
    args = arguments(argv)
    if not args.model.exists():
        sys.exit(f"no model at {args.model}: train one (make run does) or give --model")
    script = load(args.script)
    only = {name for name in args.only.split(",") if name}
    conversations = [c for c in script.conversations if not only or c.name in only]
    if only - {c.name for c in conversations}:
        sys.exit(f"no such conversations: {', '.join(sorted(only - {c.name for c in conversations}))}")
    began = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="hamyar-bending-"))
    # The desk's own database: conversations handed to a person are queued there, not in make run's.
    database = f"sqlite+aiosqlite:///{workdir / 'desk.db'}"
    upgrade(database)
    print(f"starting the stack (model {args.model}) in {workdir}", flush=True)
    stack = start(workdir, args.model, env={**LIMITS, "DATABASE_URL": database})
    print(f"ready in {stack.ready_seconds:.1f} s; {len(conversations)} conversations", flush=True)
    try:
        verdicts = asyncio.run(run_all(stack, conversations, script.misunderstood, args.timeout))
    except BaseException:
        print(stack.log_tails(), file=sys.stderr)
        raise
    finally:
        stack.stop()
    # The processes' logs are kept when a conversation failed: they may say why.
    if all(v.success for v in verdicts):
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"the processes' logs are in {workdir}")
    setup = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git("rev-parse", "--short", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "model": str(args.model),
        "source": SOURCE,
        "command": "python -m bench.bending " + shlex.join(argv),
    }
    path = bending_report.write(verdicts, setup, args.out)
    print(f"\n{path.read_text(encoding='utf-8')}\nwrote {path} in {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
