"""What Hamyar says: texts and buttons from bot/replies.yml, filled in for one reply.

The file is content: it is re-read when it changes, and a test holds every text to the
writing rules of shared/PERSIAN.md. Used by the actions and by the gateway.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

import yaml

from nlu.writing import MAX_CHARS, MAX_WORDS, SENTENCE_END, fit, reader_digits

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "bot" / "replies.yml"
COMMON = "common"


class Replies:
    def __init__(self, path: Optional[Path] = None) -> None:
        self.path = Path(path or os.environ.get("HAMYAR_REPLIES") or DEFAULT_PATH)
        self._stamp: Optional[float] = None
        self._entries: dict[str, dict] = {}

    def entries(self) -> dict[str, dict]:
        stamp = self.path.stat().st_mtime
        if stamp != self._stamp:
            self._entries = yaml.safe_load(self.path.read_text(encoding="utf-8"))
            self._stamp = stamp
        return self._entries

    def buttons(self, key: str, payloads: Optional[Iterable[str]] = None) -> list[dict]:
        """A reply's buttons, «common» expanded; with ``payloads``, only those, in that order."""
        entries = self.entries()
        buttons: list[dict] = []
        for button in entries[key].get("buttons", []):
            buttons.extend(entries[COMMON]["buttons"] if button == COMMON else [button])
        if payloads is None:
            return [dict(b) for b in buttons]
        by_payload = {b["payload"]: b for b in buttons}
        return [dict(by_payload[p]) for p in payloads if p in by_payload]

    def render(self, key: str, choices: Iterable[dict] = (), **values: Any) -> dict:
        """Text and buttons of a reply: the choices first, then the reply's own buttons.

        ``{name}`` in the text and in the reply's own button titles and payloads is filled from
        ``values`` (a payload's entities, e.g. ``/service_status{entities}``, come from the action).
        The values a reply names ``outside`` (an agency's words) are fitted into the writing rules.
        """
        entry = self.entries()[key]
        values = _fitted(entry, values, MAX_CHARS)
        text = entry["text"].format_map(values) if "text" in entry else ""
        own = [{n: v.format_map(values) for n, v in b.items()} if values else b for b in self.buttons(key)]
        return {"text": text, "buttons": list(choices) + own, "custom": dict(entry.get("custom") or {})}

    def text_within(self, key: str, max_chars: int, values: Mapping[str, Any]) -> str:
        """A reply's text alone, its agency words fitted into ``max_chars`` rather than a whole
        message: for a reply that shares one message with others."""
        entry = self.entries()[key]
        return str(entry["text"].format_map(_fitted(entry, values, max_chars)))


def _fitted(entry: dict, values: Mapping[str, Any], max_chars: int) -> dict[str, Any]:
    """``values`` with a reply's agency words (``entry["outside"]``) fitted, the rest as given."""
    if entry.get("outside") and "text" in entry:
        return fitted(entry["text"], values, entry["outside"], max_chars)
    return dict(values)


def fitted(template: str, values: Mapping[str, Any], outside: Iterable[str], max_chars: int = MAX_CHARS) -> dict[str, Any]:
    """``values``, those named in ``outside`` with Persian digits and shortened or split
    (``nlu.writing.fit``) into what ``template`` leaves of ``max_chars`` (one message's length),
    shared between them, and of their sentence's words.
    """
    names = sorted((n for n in outside if n in values), key=lambda n: len(str(values[n])))
    marked = template.format_map({**values, **{n: f"\0{n}\0" for n in names}})
    room = max_chars - len(template.format_map({**values, **{n: "" for n in names}}))
    result = dict(values)
    for position, name in enumerate(names):
        # Every sentence of the value is held to what the template's own sentence leaves.
        around = next((s for s in SENTENCE_END.split(marked) if f"\0{name}\0" in s), "")
        beside = len(re.sub(r"\0\w+\0", " ", around).split())
        result[name] = fit(reader_digits(str(values[name])), room // (len(names) - position), MAX_WORDS - beside)
        room -= len(result[name])
    return result
