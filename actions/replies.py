"""Sending a reply of bot/replies.yml from an action."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Optional, Sequence

from rasa_sdk.executor import CollectingDispatcher

from content.replies import Replies
from nlu.writing import MAX_CHARS

REPLIES = Replies()


def say(dispatcher: CollectingDispatcher, key: str, choices: Iterable[dict] = (), **values: Any) -> None:
    send(dispatcher, REPLIES.render(key, choices, **values))


@dataclass(frozen=True)
class Line:
    """A reply to be said with others in one message (``say_lines``)."""

    key: str
    values: dict[str, Any]


def line(key: str, **values: Any) -> Line:
    return Line(key, values)


def lines_within(lines: Sequence[Line], max_chars: int = MAX_CHARS) -> list[str]:
    """The replies' texts, together (a line each) within one message's length: each reply's
    agency words get what the shorter replies leave, as one reply's values share its room."""
    texts = [""] * len(lines)
    room = max_chars - (len(lines) - 1)  # the line breaks
    natural = [len(REPLIES.text_within(one.key, max_chars, one.values)) for one in lines]
    for position, i in enumerate(sorted(range(len(lines)), key=natural.__getitem__)):
        texts[i] = REPLIES.text_within(lines[i].key, room // (len(lines) - position), lines[i].values)
        room -= len(texts[i])
    return texts


def say_lines(dispatcher: CollectingDispatcher, *lines: Line) -> None:
    """Several replies as one message, a line each: one answer is one notification."""
    dispatcher.utter_message(text="\n".join(lines_within(lines)))


def send(dispatcher: CollectingDispatcher, message: dict) -> None:
    """A rendered reply (``Replies.render``'s text, buttons and custom) to the citizen."""
    # "custom" carries hints for channels (e.g. a button that shares the citizen's number).
    dispatcher.utter_message(text=message["text"], buttons=message["buttons"], json_message=message["custom"] or None)


def buttons(key: str, payloads: Optional[Iterable[str]] = None) -> list[dict]:
    return REPLIES.buttons(key, payloads)
