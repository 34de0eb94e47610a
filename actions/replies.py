"""Sending a reply of bot/replies.yml from an action."""

from __future__ import annotations

from typing import Any, Iterable, Optional

from rasa_sdk.executor import CollectingDispatcher

from content.replies import Replies

_replies = Replies()


def say(dispatcher: CollectingDispatcher, key: str, choices: Iterable[dict] = (), **values: Any) -> None:
    message = _replies.render(key, choices, **values)
    dispatcher.utter_message(text=message["text"], buttons=message["buttons"])


def buttons(key: str, payloads: Optional[Iterable[str]] = None) -> list[dict]:
    return _replies.buttons(key, payloads)
