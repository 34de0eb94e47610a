"""Numbers citizens type: national ids, phone numbers, tracking codes, and what is never a code.

Works on normalised text (ASCII digits). Pure functions, no dependencies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Optional

# Digit groups a person may separate with single spaces or dashes: «0912 345 6789».
_NUMBER = re.compile(r"(?<![\w])(?:\+?\d[\d]*)(?:[ \-]\d+)*(?![\w])")
_SHEBA = re.compile(r"(?<![\w])ir ?(\d{2}(?:[ \-]?\d){22})(?![\w])", re.IGNORECASE)


def is_valid_national_id(value: str) -> bool:
    """Iranian national code (کد ملی): 10 digits, the last a check digit over the first nine."""
    if not re.fullmatch(r"\d{10}", value) or len(set(value)) == 1:
        return False
    total = sum(int(value[i]) * (10 - i) for i in range(9)) % 11
    check = int(value[9])
    return check == total if total < 2 else check == 11 - total


def is_foreign_national_id(value: str) -> bool:
    """Foreign nationals' comprehensive identifier (شناسه فراگیر اتباع): 12 digits."""
    return bool(re.fullmatch(r"\d{12}", value)) and len(set(value)) > 1


def normalize_phone(digits: str) -> Optional[str]:
    """An Iranian mobile number as ``09xxxxxxxxx``, or None."""
    digits = digits.lstrip("+")
    for prefix in ("0098", "98"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 10:
            digits = "0" + digits[len(prefix) :]
    if len(digits) == 10 and digits.startswith("9"):
        digits = "0" + digits
    # ASCII digits only (``\d`` takes any script): text is normalised first, contacts arrive in ASCII.
    return digits if re.fullmatch(r"09[0-9]{9}", digits) else None


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def is_bank_card(digits: str) -> bool:
    return len(digits) == 16 and luhn_ok(digits)


@dataclass(frozen=True)
class NumberSpan:
    """A number found in normalised text: its digits and where it stands."""

    digits: str
    start: int
    end: int


def find_numbers(text: str) -> list[NumberSpan]:
    """Every digit run in ``text``, with spaced or dashed groups joined as one candidate."""
    found: list[NumberSpan] = []
    for match in _NUMBER.finditer(text):
        raw = match.group(0)
        found.append(NumberSpan(re.sub(r"[ \-]", "", raw), match.start(), match.end()))
    return found


def split_groups(span: NumberSpan, text: str) -> list[NumberSpan]:
    """The single groups of a spaced number, for when the whole is not one identifier."""
    parts = []
    for match in re.finditer(r"\+?\d+", text[span.start : span.end]):
        parts.append(NumberSpan(match.group(0).lstrip("+"), span.start + match.start(), span.start + match.end()))
    return parts


def contains_sensitive_number(text: str) -> bool:
    """A bank card (16 digits, Luhn) or a Sheba number: Hamyar never needs either."""
    if _SHEBA.search(text):
        return True
    for span in find_numbers(text):
        if is_bank_card(span.digits) or any(is_bank_card(p.digits) for p in split_groups(span, text)):
            return True
    return False


def sheba_spans(text: str) -> Iterable[tuple[int, int]]:
    return ((m.start(), m.end()) for m in _SHEBA.finditer(text))


def mask(value: str) -> str:
    """For logs: keep the last two digits only («********89»)."""
    digits = re.sub(r"\D", "", value)
    if len(digits) <= 2:
        return "*" * len(digits)
    return "*" * (len(digits) - 2) + digits[-2:]


_DIGIT_RUN = re.compile(r"\d(?:[ \-]?\d)*")


def mask_numbers(text: str) -> str:
    """Text safe to keep and show again: every number of four digits or more (a national id, a
    phone, a one-time code, a card) masked, in any script, even when run into words. Long
    numbers keep their last two digits so the citizen recognises them («********۸۹»)."""

    def masked(match: re.Match) -> str:
        digits = re.sub(r"[ \-]", "", match.group(0))
        if len(digits) < 4:
            return match.group(0)
        return "*" * (len(digits) - 2) + digits[-2:] if len(digits) >= 10 else "*" * len(digits)

    return _DIGIT_RUN.sub(masked, text)
