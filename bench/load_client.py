"""Citizens for the load benchmark: conversations through the signed generic webhook, typed
Persian messages from the held-out NLU data and presses of the buttons the previous reply
offered, in a closed loop (each conversation waits for its reply before its next turn).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import aiohttp
import numpy
import yaml

from connectors.signing import signed_headers
from content.replies import Replies

ROOT = Path(__file__).resolve().parent.parent
# The domain's questions: greetings, case and service status, how-to, help, thanks. Not the
# others: e.g. «inform» is a bare code or number, meaningful only inside a form.
INTENTS = ("greet", "case_status", "service_status", "how_to", "help", "thank")
# The growth curve's: no form, so every window starts in the same state (a form left open by a
# random earlier turn would read the window's messages as its answers).
GROWTH_INTENTS = ("greet", "how_to", "help", "thank")
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\{[^}]*\}|\([^)]*\))")
# Replies that mean the turn failed, whatever the HTTP status said.
FAILED_REPLIES = ("gateway_error", "gateway_button_expired")


def typed_messages(path: Path = ROOT / "nlu" / "heldout" / "nlu.yml", intents: tuple[str, ...] = INTENTS) -> list[str]:
    """The held-out examples of ``intents`` as a citizen types them (entity marks removed)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    messages = []
    for block in data["nlu"]:
        if block.get("intent") in intents:
            for line in block["examples"].splitlines():
                line = line.strip()
                if line.startswith("- "):
                    messages.append(_ANNOTATION.sub(r"\1", line[2:]).strip())
    return messages


@dataclass
class Turn:
    """One message and its answer: ``error`` names what went wrong, if anything."""

    seconds: float
    button: bool
    error: Optional[str] = None
    timeout: bool = False


@dataclass
class Result:
    """A run's turns and its wall time (start to the last answer)."""

    turns: list[Turn] = field(default_factory=list)
    seconds: float = 0.0

    def latencies(self) -> numpy.ndarray:
        return numpy.array([t.seconds for t in self.turns if t.error is None and not t.timeout])

    def summary(self) -> dict:
        ok = self.latencies()
        pct = numpy.percentile(ok, [50, 95, 99]) if len(ok) else [float("nan")] * 3
        return {
            "messages": len(self.turns),
            "seconds": self.seconds,
            "msg_per_s": len(self.turns) / self.seconds if self.seconds else 0.0,
            "p50": float(pct[0]),
            "p95": float(pct[1]),
            "p99": float(pct[2]),
            "button_share": sum(t.button for t in self.turns) / len(self.turns) if self.turns else 0.0,
            "errors": sum(1 for t in self.turns if t.error is not None),
            "timeouts": sum(1 for t in self.turns if t.timeout),
            "error_kinds": sorted({t.error for t in self.turns if t.error}),
        }


class Bridge:
    """A bridge posting signed bodies to ``/webhooks/generic/{source}`` and reading the replies."""

    def __init__(self, session: aiohttp.ClientSession, gateway: str, source: str, secret: str, timeout: float) -> None:
        self._session = session
        self._url = f"{gateway}/webhooks/generic/{source}"
        self._secret = secret
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        failed = Replies()
        self._failed = {failed.render(key)["text"]: key for key in FAILED_REPLIES}

    async def send(self, chat_id: str, button_id: Optional[str], text: Optional[str]) -> tuple[Turn, list[dict]]:
        """One turn: how long it took and how it went, and the replies (empty when it failed)."""
        fields = {"payload": button_id} if button_id else {"text": text}
        body = json.dumps(
            {"message_id": uuid.uuid4().hex, "user_id": "u-" + chat_id, "chat_id": chat_id, **fields}, ensure_ascii=False
        ).encode()
        began = time.perf_counter()
        try:
            async with self._session.post(
                self._url, data=body, headers=signed_headers(self._secret, body), timeout=self._timeout
            ) as response:
                answer = await response.json(content_type=None)
                status = response.status
        except asyncio.TimeoutError:
            return Turn(time.perf_counter() - began, bool(button_id), timeout=True), []
        except (aiohttp.ClientError, ValueError) as error:
            return Turn(time.perf_counter() - began, bool(button_id), error=type(error).__name__), []
        turn = Turn(time.perf_counter() - began, bool(button_id))
        replies = (answer.get("replies") or []) if isinstance(answer, dict) else []
        if status != 200:
            turn.error = f"http_{status}"
        elif not replies:
            turn.error = "no_reply"
        else:
            turn.error = next((self._failed[r["text"]] for r in replies if r.get("text") in self._failed), None)
        return turn, replies if turn.error is None else []


class Budget:
    """Turns a run may still start: until ``messages`` have started or ``seconds`` have passed."""

    def __init__(self, messages: Optional[int], seconds: Optional[float]) -> None:
        self._left = messages
        self._deadline = time.monotonic() + seconds if seconds else None

    def take(self) -> bool:
        if self._deadline is not None and time.monotonic() >= self._deadline:
            return False
        if self._left is not None:
            if self._left <= 0:
                return False
            self._left -= 1
        return True


async def conversation_worker(
    bridge: Bridge,
    typed: list[str],
    budget: Budget,
    result: Result,
    tag: str,
    turns: int,
    buttons: bool,
    rng: random.Random,
) -> None:
    """Conversations of ``turns`` turns one after another, each with a new chat id. With
    ``buttons``, a button of the last reply is pressed whenever there is one and this
    conversation has pressed fewer than it typed, so about half the turns are presses."""
    number = 0
    while True:
        number += 1
        chat_id = f"{tag}-{number}"
        offered: list[dict] = []
        typed_count = pressed = 0
        for _ in range(turns):
            if not budget.take():
                return
            press = buttons and bool(offered) and pressed < typed_count
            if press:
                turn, replies = await bridge.send(chat_id, rng.choice(offered)["id"], None)
                pressed += 1
            else:
                turn, replies = await bridge.send(chat_id, None, rng.choice(typed))
                typed_count += 1
            result.turns.append(turn)
            offered = [b for r in replies for b in r.get("buttons", [])]


async def run_load(
    gateway: str,
    source: str,
    secret: str,
    typed: list[str],
    clients: int,
    buttons: bool,
    messages: Optional[int],
    seconds: Optional[float],
    turns: int = 10,
    timeout: float = 30.0,
    seed: int = 26,
) -> Result:
    """``clients`` concurrent conversations in a closed loop until the budget is spent."""
    result = Result()
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        bridge = Bridge(session, gateway, source, secret, timeout)
        budget = Budget(messages, seconds)
        run = uuid.uuid4().hex[:8]
        began = time.perf_counter()
        await asyncio.gather(
            *(
                conversation_worker(bridge, typed, budget, result, f"load{run}-{c}", turns, buttons, random.Random(seed + c))
                for c in range(clients)
            )
        )
        result.seconds = time.perf_counter() - began
    return result


async def run_growth(
    gateway: str,
    source: str,
    secret: str,
    typed: list[str],
    turns: int,
    seconds: float,
    timeout: float = 30.0,
    seed: int = 26,
    windows: tuple[tuple[int, int], ...] = (),
    before_turn: Optional[Callable[[int], None]] = None,
) -> Result:
    """One conversation driven to ``turns`` typed turns, or until ``seconds`` have passed;
    ``Result.turns`` in order, turn 1 first. Each of ``windows`` (first and last turn, 1-based)
    sends the same messages in the same order, so windows differ only in how long the
    conversation is; the other turns are drawn at random. ``before_turn`` is called with each
    turn's number before it is sent, and with ``turns + 1`` after the last."""
    result = Result()
    rng = random.Random(seed)
    probe = [rng.choice(typed) for _ in range(max((last - first + 1 for first, last in windows), default=0))]
    chat_id = f"growth{uuid.uuid4().hex[:8]}"
    async with aiohttp.ClientSession() as session:
        bridge = Bridge(session, gateway, source, secret, timeout)
        budget = Budget(turns, seconds)
        began = time.perf_counter()
        for number in range(1, turns + 1):
            if before_turn is not None:
                before_turn(number)
            if not budget.take():
                break
            first = next((first for first, last in windows if first <= number <= last), None)
            text = probe[number - first] if first is not None else rng.choice(typed)
            turn, _ = await bridge.send(chat_id, None, text)
            result.turns.append(turn)
        else:
            if before_turn is not None:
                before_turn(turns + 1)
        result.seconds = time.perf_counter() - began
    return result


def window_median(result: Result, first: int, last: int) -> Optional[float]:
    """Median seconds of turns ``first``..``last`` (1-based, inclusive), None if not all were reached."""
    if len(result.turns) < last:
        return None
    return float(numpy.median([t.seconds for t in result.turns[first - 1 : last]]))
