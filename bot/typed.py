"""Typed text that can never be read as a ``/intent`` command.

Rasa reads a message that starts with ``/`` as an intent with entities, and it looks again after
the pipeline, on the normalised text: so marks the normaliser removes (bidi and zero-width
characters, diacritics, keshide) must not hide a slash either. Only the gateway's own button
payloads may start with one. Pure: imported by the Rasa channel and by tests in either env.
"""

from __future__ import annotations

import unicodedata

from nlu.persian import normalize

# Characters people (or attackers) use as a slash; NFKC catches the full-width and small forms.
SLASHES = frozenset("/\\\u2215\u2044\u29f8\u2571\u27cb\u3033\u30fb")
_VANISHING = frozenset(("Cc", "Cf", "Cn", "Co", "Cs", "Me", "Mn", "Zl", "Zp", "Zs"))


def _leading_noise(character: str) -> bool:
    """Whitespace, an invisible mark, or a slash in any of its forms."""
    if character.isspace() or unicodedata.category(character) in _VANISHING or character in SLASHES:
        return True
    if unicodedata.normalize("NFKC", character) in ("/", "\\"):
        return True
    return normalize(character).strip() in ("", "/")


def safe_text(text: str) -> str:
    """The text without the leading blanks, marks and slashes that could make it a command."""
    start = 0
    while start < len(text) and _leading_noise(text[start]):
        start += 1
    result = text[start:].strip()
    # The normaliser reads the whole text; if its reading still starts with a slash (no known
    # character does that), the message is not passed on at all.
    return "" if normalize(result).lstrip().startswith("/") else result
