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


def rasa_to_parts(messages: list[dict], limit: int) -> list[tuple[str, list[dict]]]:
    """Rasa's messages as (text, buttons) pairs within the channel's length limit."""
    rendered: list[tuple[str, list[dict]]] = []
    for message in messages:
        buttons = [b for b in message.get("buttons") or [] if b.get("title") and b.get("payload")]
        parts = split_text(message.get("text") or "", limit) or ([""] if buttons else [])
        for position, part in enumerate(parts):
            rendered.append((part, buttons if position == len(parts) - 1 else []))
    return rendered
