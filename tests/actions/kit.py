"""Trackers as Rasa sends them to the action server, and what a dispatcher collected, named
by the reply of bot/replies.yml each message came from."""

from __future__ import annotations

import re
from typing import Any, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from content.replies import Replies

SESSION_START = 1700000000.0


def tracker(
    text: str = "",
    intent: str = "inform",
    entities: Optional[dict[str, str]] = None,
    slots: Optional[dict[str, Any]] = None,
    metadata: Optional[dict[str, Any]] = None,
    earlier: tuple[dict, ...] = (),
    form: Optional[str] = None,
    sender: str = "web:unit",
) -> Tracker:
    """A tracker whose latest event is the citizen's ``text``, after ``earlier`` events of this
    session; ``entities`` are what NLU found in it."""
    metadata = {"user_id": "u1", **(metadata or {})}
    found = [{"entity": name, "value": value} for name, value in (entities or {}).items()]
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": found, "metadata": metadata}
    events = [
        {"event": "session_started", "timestamp": SESSION_START},
        *earlier,
        {"event": "user", "text": text, "parse_data": latest, "metadata": metadata},
    ]
    return Tracker(sender, dict(slots or {}), latest, events, False, None, {"name": form} if form else {}, "action_listen")


def _pattern(template: str) -> re.Pattern:
    return re.compile(".*".join(re.escape(p) for p in re.split(r"\{[a-z_]+\}", template)), re.DOTALL)


def _literal(template: str) -> int:
    return len(re.sub(r"\{[a-z_]+\}", "", template))


_REPLIES = Replies()
# Each reply: its text and its own buttons' titles as patterns, and how much of them is fixed
# (two replies may share a text, e.g. service_menu and agency_menu, and differ in buttons).
_SHAPES = {
    key: (
        _pattern(entry["text"]),
        [_pattern(b["title"]) for b in _REPLIES.buttons(key)],
        _literal(entry["text"]) + sum(_literal(b["title"]) for b in _REPLIES.buttons(key)),
    )
    for key, entry in _REPLIES.entries().items()
    if "text" in entry
}


def _fits(message: dict, key: str) -> bool:
    text, titles, _ = _SHAPES[key]
    shown = [b.get("title") or "" for b in message.get("buttons") or []]
    return bool(text.fullmatch(message.get("text") or "")) and all(any(t.fullmatch(s) for s in shown) for t in titles)


def said(dispatcher: CollectingDispatcher) -> list[str]:
    """The reply key of each message sent, the most specific reply first; a domain response
    (``utter_…``) by its name."""
    keys = []
    for message in dispatcher.messages:
        fitting = [k for k in _SHAPES if _fits(message, k)]
        keys.append(message.get("response") or max(fitting, key=lambda k: _SHAPES[k][2], default=f"?{message.get('text')}"))
    return keys


def text(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


def payloads(dispatcher: CollectingDispatcher) -> list[str]:
    return [b["payload"] for m in dispatcher.messages for b in m.get("buttons") or []]


def slots_set(events: list[dict]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def guide_button(intent: str, article_id: str, step: int, **slots: Any) -> Tracker:
    """A guide's button pressed: its payload names the guide and the step it was shown on."""
    place = {"article_id": article_id, "guide_step": str(step)}
    payload = f'/{intent}{{"article_id":"{article_id}","guide_step":"{step}"}}'
    return tracker(payload, intent=intent, entities=place, slots=slots)
