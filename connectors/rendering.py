"""Replies shaped for a channel: at most two messages a turn, long text split at sentence ends,
buttons kept on the last part."""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[.!?؟\n])\s+")
# One message of a reply: its text, its buttons ({"title", "payload"}) and hints for the channel.
Part = tuple[str, list[dict], dict]
# The hint of a reply that is the turn's question even when another follows it (bot/replies.yml).
LAST_QUESTION = "last_question"


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


def rasa_to_parts(messages: list[dict], limit: int) -> list[Part]:
    """Rasa's messages as (text, buttons, hints) within the channel's length limit; the buttons
    and hints go with the last part of a split message."""
    rendered: list[Part] = []
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


def fold_turn(parts: list[Part], limit: int) -> list[Part]:
    """A turn's messages as at most two, each one notification on a slow line: the answer, then
    the question with its buttons.

    The question is the last part that asks something (buttons, or the citizen's number), or the
    last one hinted ``last_question`` (an offer said before the answer to what was written); every
    other text joins the answer in order, and their buttons follow the question's own (one a
    title). Every hint goes on the last message, where a channel looks for the keyboard to show.
    Only text beyond the channel's ``limit`` makes the answer more than one message.
    """
    if not parts:
        return []
    asking = [i for i, (_, buttons, hints) in enumerate(parts) if buttons or hints.get("request_contact")]
    # A reply may ask to be the question wherever it comes (an offer made before the answer).
    marked = [i for i, (_, _, hints) in enumerate(parts) if hints.get(LAST_QUESTION)]
    question = marked[-1] if marked else asking[-1] if asking else None
    order = [i for i in range(len(parts)) if i != question] + ([question] if question is not None else [])
    buttons: list[dict] = []
    hints: dict = {}
    for i in reversed(order):  # the question's buttons first, then the others', latest first
        buttons.extend(b for b in parts[i][1] if all(b["title"] != kept["title"] for kept in buttons))
    for i in order:
        hints.update(parts[i][2])
    hints.pop(LAST_QUESTION, None)  # for folding only, not for the channel
    answer = _joined([parts[i][0] for i in order if i != question], limit)
    asked = parts[question][0] if question is not None else ""
    if asked.strip():
        return [*((text, [], {}) for text in answer), (asked, buttons, hints)]
    # Nothing asked in words (or nothing asked): the buttons go under the answer itself.
    last = answer.pop() if answer else ""
    return [*((text, [], {}) for text in answer), (last, buttons, hints)]


def _joined(texts: list[str], limit: int) -> list[str]:
    """The texts as few messages as ``limit`` allows, a blank line between two of them."""
    joined: list[str] = []
    for text in (t.strip() for t in texts):
        if not text:
            continue
        if joined and len(joined[-1]) + 2 + len(text) <= limit:
            joined[-1] = f"{joined[-1]}\n\n{text}"
        else:
            joined.append(text)
    return joined
