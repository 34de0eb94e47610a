"""Seeded rewrites of a message, shared by the NLU benchmark and the hazm comparison.

Plain Python, so both benchmark environments (Rasa's and hazm's) can import it.
"""

from __future__ import annotations

import random
from typing import Callable


def edit_one_long_word(text: str, rng: random.Random, edit: Callable[[str, random.Random], str]) -> str:
    """``text`` with one of its words of four or more letters rewritten by ``edit``."""
    words = text.split(" ")
    long_words = [i for i, w in enumerate(words) if sum(ch.isalpha() for ch in w) >= 4]
    if not long_words:
        return text
    index = rng.choice(long_words)
    words[index] = edit(words[index], rng)
    return " ".join(words)


def triple_letter(word: str, rng: random.Random) -> str:
    """One letter of ``word`` typed three times."""
    i = rng.choice([i for i, ch in enumerate(word) if ch.isalpha()])
    return word[: i + 1] + word[i] * 2 + word[i + 1 :]
