"""Two requests in one message are two turns, answered in order («سامانه گذرنامه کار میکنه؟
چطوری تمدیدش کنم؟»): never only the last one silently. Runs in the Rasa process (bot/channel.py),
which can read each question's intent and the conversation's pending question.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Optional, Protocol

from nlu.sentences import split_questions

# Intents that ask for something of their own; a message is split only into two or more of them.
REQUESTS = frozenset({"service_status", "how_to", "case_status", "file_complaint", "request_human", "subscribe"})
# Questions whose answer is the whole message, questions and all (a complaint's own words).
WHOLE_TEXT_SLOTS = frozenset({"complaint_text"})


class Parser(Protocol):
    async def parse_message(self, text: str) -> dict[str, Any]: ...


def intent_name(parse: dict[str, Any]) -> str:
    return str((parse.get("intent") or {}).get("name") or "")


def requests_of(parts: list[str], intents: list[str]) -> list[str]:
    """The parts grouped so each carries one request (a part asking none joins the next, or the
    last); the whole message as one when fewer than two parts ask something."""
    if sum(intent in REQUESTS for intent in intents) < 2:
        return [" ".join(parts)]
    grouped: list[str] = []
    waiting = ""
    for part, intent in zip(parts, intents):
        waiting = f"{waiting} {part}".strip()
        if intent in REQUESTS:
            grouped.append(waiting)
            waiting = ""
    if waiting:
        grouped[-1] = f"{grouped[-1]} {waiting}"
    return grouped


async def requests_in(text: str, parser: Parser, pending: Callable[[], Awaitable[Optional[str]]]) -> list[str]:
    """The message as the turns to run, in order: usually just itself. ``pending`` says which
    slot the conversation's form asks now (read only for a message of several questions)."""
    parts = split_questions(text)
    if len(parts) < 2 or await pending() in WHOLE_TEXT_SLOTS:
        return [text]
    intents = [intent_name(await parser.parse_message(part)) for part in parts]
    grouped = requests_of(parts, intents)
    return grouped if len(grouped) > 1 else [text]


def once_each(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A turn's replies with a message that a later request repeats (the way back to a form, its
    pending question) sent once, where it was said last."""
    kept: list[dict[str, Any]] = []
    for position, message in enumerate(messages):
        if message not in messages[position + 1 :]:
            kept.append(message)
    return kept
