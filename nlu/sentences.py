"""Questions in one message: «سامانه گذرنامه کار میکنه؟ چطوری تمدیدش کنم؟» is two."""

from __future__ import annotations

import re

_QUESTION = re.compile(r"[^؟?]*[؟?]+|[^؟?]+$")
_LETTER = re.compile(r"\w")


def split_questions(text: str, most: int = 3) -> list[str]:
    """The message's questions, each ending at its question mark, and the text after the last one
    («…کار میکنه؟ میخوام شکایت کنم»); a piece without a word joins the one before. One piece (the
    whole text) unless there are two to ``most``."""
    parts: list[str] = []
    for piece in (p.strip() for p in _QUESTION.findall(text)):
        if parts and not _LETTER.search(piece):
            parts[-1] = f"{parts[-1]} {piece}".strip()
        elif piece:
            parts.append(piece)
    return parts if 2 <= len(parts) <= most else [text]
