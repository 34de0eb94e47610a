"""Replies shaped for a channel: long text split at sentence ends, buttons kept on the last part."""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[.!?؟\n])\s+")


def split_text(text: str, limit: int) -> list[str]:
    """Parts of at most ``limit`` characters, cut after a sentence where one fits, else at a space."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(text):
        candidate = f"{current} {sentence}".strip() if current else sentence
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        while len(sentence) > limit:
            cut = sentence.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            parts.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        current = sentence
    if current:
        parts.append(current)
    return parts


def rasa_to_parts(messages: list[dict], limit: int) -> list[tuple[str, list[dict], dict]]:
    """Rasa's messages as (text, buttons, hints) within the channel's length limit; the buttons
    and hints go with the last part of a split message."""
    rendered: list[tuple[str, list[dict], dict]] = []
    for message in messages:
        buttons: list[dict] = [b for b in message.get("buttons") or [] if b.get("title") and b.get("payload")]
        custom = message.get("custom")
        hints: dict = custom if isinstance(custom, dict) else {}
        parts = split_text(message.get("text") or "", limit) or ([""] if buttons else [])
        if not parts and hints and rendered:
            # Rasa sends a reply's "custom" part as a message of its own, right after it.
            text, previous_buttons, previous_hints = rendered[-1]
            rendered[-1] = (text, previous_buttons, {**previous_hints, **hints})
            continue
        for position, part in enumerate(parts):
            last = position == len(parts) - 1
            rendered.append((part, buttons if last else [], hints if last else {}))
    return rendered
