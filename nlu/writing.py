"""How Hamyar writes for citizens: the measured rules of shared/PERSIAN.md, and fitting a text
that arrives at run time (an agency's words) into them.

Plain Python, needing only nlu.persian. tests/content/test_writing_rules.py holds every text Hamyar
keeps (replies, articles, buttons, the catalogue's names) to these limits.
"""

from __future__ import annotations

import re

from nlu.persian import persian_digits

MAX_CHARS = 300  # one message
MAX_WORDS = 20  # one sentence
MAX_BUTTON_CHARS = 24  # a button's title: what a phone shows on one line, large print included

# What ends a sentence for a reader; a line break does too.
SENTENCE_END = re.compile(r"[.!?؟\n:]+")
ELLIPSIS = "…"

# Latin-script words a citizen may be shown, each with why Persian cannot say it. Everything
# else is written in Persian: «پیامک», not SMS (shared/PERSIAN.md: everyday words).
LATIN_ALLOWED = {
    # The shape of a call-centre agent's handoff code (desk/codes.py), which the citizen types back.
    "H-ABCDE": "a handoff code is Latin letters",
}
_LATIN_WORD = re.compile(r"[A-Za-z](?:[A-Za-z0-9._/:\-]*[A-Za-z0-9/])?")
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")

# Marks after which a long sentence reads well on a new line.
_CLAUSE_END = ("،", ",", "؛", ";")
# Digits of any script and what sits inside a number («۱۲٬۰۰۰», «۱۴۰۵/۰۳/۰۱», «۰۲۱-۱۲۳»).
_NUMBER = re.compile(r"[\d٬,./\-]*\d[\d٬,./\-]*")


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` as a reader meets them."""
    return [s for s in SENTENCE_END.split(text) if s.strip()]


def latin_words(text: str) -> list[str]:
    """Latin-script words in ``text`` a citizen would read, placeholders and allowed words aside."""
    return [w for w in _LATIN_WORD.findall(_PLACEHOLDER.sub(" ", text)) if w not in LATIN_ALLOWED]


def reader_digits(text: str) -> str:
    """Numbers in Persian digits («ساعت ۸»), except in a word with Latin letters: a link or a
    code is shown as it must be typed."""
    return re.sub(r"\S+", lambda m: m[0] if _LATIN_WORD.search(m[0]) else persian_digits(m[0]), text)


def fit(text: str, max_chars: int = MAX_CHARS, max_words: int = MAX_WORDS) -> str:
    """``text`` within the writing rules, cut only between words.

    A sentence of more than ``max_words`` words goes on to a new line, after a comma in the
    line's second half where there is one, else after ``max_words`` words; a text longer than
    ``max_chars`` ends with the last whole word that fits, and «…» on it. A word is what stands
    between spaces, so a ZWNJ-joined word, a code or a link stays whole, and a number written in
    groups («۰۹۱۲ ۳۴۵ ۶۷۸۹») is one word. A first word longer than ``max_chars`` leaves «…» alone:
    nothing is shown cut in half.
    """
    tokens: list[str] = []  # words, and _NEWLINE
    for line in text.strip().splitlines():
        words = _units(line)
        if words and tokens:
            tokens.append(_NEWLINE)
        tokens.extend(_wrapped(words, max(1, max_words)))
    whole = _joined(tokens)
    if len(whole) <= max_chars:
        return whole
    if max_chars < len(ELLIPSIS):
        return ""
    kept: list[str] = []
    for token in tokens:
        if len(_joined([*kept, token])) + len(ELLIPSIS) > max_chars:
            break
        kept.append(token)
    shown = _joined(kept).rstrip("".join(_CLAUSE_END))
    return shown + ELLIPSIS  # on the last word: not a word of its own in the sentence


_NEWLINE = "\n"


def _joined(tokens: list[str]) -> str:
    return re.sub(r" ?\n ?", "\n", " ".join(tokens)).strip()


def _units(line: str) -> list[str]:
    """The words of a line, a number written in groups kept as one."""
    units: list[str] = []
    for word in line.split():
        if units and _NUMBER.fullmatch(word) and _NUMBER.fullmatch(units[-1].replace(" ", "")):
            units[-1] += " " + word
        else:
            units.append(word)
    return units


def _wrapped(words: list[str], max_words: int) -> list[str]:
    """``words`` with a line break inside every sentence that is too long."""
    out: list[str] = []
    sentence: list[str] = []
    for word in words:
        sentence.append(word)
        if SENTENCE_END.fullmatch(word[-1]):
            out += _broken(sentence, max_words)
            sentence = []
    return out + _broken(sentence, max_words)


def _broken(sentence: list[str], max_words: int) -> list[str]:
    out: list[str] = []
    while _count(sentence) > max_words:
        cut = _first_line(sentence, max_words)
        out += [*sentence[:cut], _NEWLINE]
        sentence = sentence[cut:]
    return out + sentence


def _first_line(sentence: list[str], max_words: int) -> int:
    """How many units of a sentence that is too long go on its first line."""
    fits = comma = words = 0
    for position, unit in enumerate(sentence, 1):
        words += len(unit.split())
        if words > max_words:
            break
        fits = position
        if unit.endswith(_CLAUSE_END) and words > max_words // 2:
            comma = position
    return comma or fits or 1  # a number longer than a sentence stays whole on its own line


def _count(units: list[str]) -> int:
    return sum(len(unit.split()) for unit in units)
