"""Word error rate: how far a recogniser's words are from what was said (bench/speech_in.py).

Words are compared after Hamyar's normaliser (nlu/persian.py: Arabic letters, digits, half-spaces)
with punctuation dropped, so «می‌خواهم» and «میخواهم» are one word, not an error.
"""

from __future__ import annotations

import re
from typing import Iterable

from nlu.persian import ZWNJ, normalize
from nlu.spelling import edit_distance

_NOT_WORD = re.compile(r"[^\w\s]")


def words(text: str) -> list[str]:
    """The normalised words of ``text``; a half-space joins nothing here (recognisers differ)."""
    return _NOT_WORD.sub(" ", normalize(text).replace(ZWNJ, "")).split()


def word_errors(reference: str, hypothesis: str) -> int:
    """Substituted, dropped and added words (Levenshtein over words; a swap is two errors)."""
    return edit_distance(words(reference), words(hypothesis), swaps=False)


def word_error_rate(pairs: Iterable[tuple[str, str]]) -> float:
    """Errors over every (reference, hypothesis) pair divided by the reference words."""
    errors = total = 0
    for reference, hypothesis in pairs:
        errors += word_errors(reference, hypothesis)
        total += len(words(reference))
    return errors / total if total else 0.0
