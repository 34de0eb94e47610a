"""Sending a reply of bot/replies.yml from an action."""

from __future__ import annotations

from typing import Any, Iterable, Optional

from rasa_sdk.executor import CollectingDispatcher

from content.replies import Replies

REPLIES = Replies()


def say(dispatcher: CollectingDispatcher, key: str, choices: Iterable[dict] = (), **values: Any) -> None:
    send(dispatcher, REPLIES.render(key, choices, **values))


def line(key: str, **values: Any) -> str:
    """A reply's text alone, to be said with others in one message (``say_lines``)."""
    return str(REPLIES.render(key, **values)["text"])


def say_lines(dispatcher: CollectingDispatcher, *lines: str) -> None:
    """Several replies' texts as one message, a line each: one answer is one notification."""
    dispatcher.utter_message(text="\n".join(lines))


def send(dispatcher: CollectingDispatcher, message: dict) -> None:
    """A rendered reply (``Replies.render``'s text, buttons and custom) to the citizen."""
    # "custom" carries hints for channels (e.g. a button that shares the citizen's number).
    dispatcher.utter_message(text=message["text"], buttons=message["buttons"], json_message=message["custom"] or None)


def buttons(key: str, payloads: Optional[Iterable[str]] = None) -> list[dict]:
    return REPLIES.buttons(key, payloads)
