"""Entities Hamyar reads from normalised text, with no trained model.

Numbers are classified by shape and checksum, tracking codes by each agency's configured pattern,
and services and agencies by the live catalogue's names and synonyms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from agencies.catalog import Catalog
from nlu.identifiers import (
    NumberSpan,
    find_numbers,
    is_bank_card,
    is_foreign_national_id,
    is_valid_national_id,
    normalize_phone,
    sheba_spans,
    split_groups,
)
from nlu.names import find_names


@dataclass(frozen=True)
class Entity:
    entity: str
    value: str
    start: int
    end: int


def classify_number(raw: str, digits: str, catalog: Catalog, cue: Optional[str] = None) -> Optional[str]:
    """Which entity a digit string is, or None (bank cards and unknown lengths are nothing);
    ``cue``, what the words before it call it, decides what its shape leaves open."""
    if is_bank_card(digits):
        return None
    looks_international = raw.startswith("+") or raw.startswith("00") or (digits.startswith("989") and len(digits) == 12)
    if normalize_phone(digits) and (len(digits) != 12 or looks_international):
        kind: Optional[str] = "phone_number"
    elif catalog.agency_for_code(digits):
        kind = "tracking_code"
    elif len(digits) == 10 or is_foreign_national_id(digits):
        kind = "national_id"
    else:
        kind = None
    return kind_with_cue(kind, digits, cue)


# Words that say what the number after them is: «کد رهگیری …», «کد ملیم …», «موبایلم …» (Finglish
# too). They decide only what the number's shape leaves open, so that a mistyped number is answered
# as what the citizen called it («this tracking code looks wrong»), not as another kind, or ignored.
_CUES = (
    ("tracking_code", re.compile(r"رهگیری|پیگیری|پرونده|rahgiri|peygiri|peigiri|tracking")),
    ("national_id", re.compile(r"ملی|فراگیر|melli|meli")),
    ("phone_number", re.compile(r"موبایل|همراه|تلفن|mobile|mobail|mobayl")),
)
_CUE_WORDS = 3  # how far before the number a cue may stand: «کد ملی من هست …»
# How long a number called so may be and still be answered as a wrong one of its kind; shorter
# ones are counts and times («پرونده‌م ۳ روزه مونده»).
_NATIONAL_ID_LENGTHS = range(8, 13)
_TRACKING_CODE_SHORTEST = 6


def named_kind(text: str, start: int) -> Optional[str]:
    """What the words just before ``start`` call the number there: the nearest cue, or None."""
    words = text[:start].split()[-_CUE_WORDS:]
    for word in reversed(words):
        for kind, cue in _CUES:
            if cue.search(word):
                return kind
    return None


def kind_with_cue(kind: Optional[str], digits: str, cue: Optional[str]) -> Optional[str]:
    """The shape's ``kind``, unless it is open and the citizen's own word says otherwise.

    A tracking-code pattern, a phone number and a national id whose check digit is right are
    certain (save a 10-digit «mobile» the citizen calls a national id); an unknown length or an
    unchecked 10- or 12-digit number is open."""
    if cue == "national_id" and kind == "phone_number" and len(digits) == 10 and not digits.startswith("0"):
        return "national_id"  # «کد ملی ۹۱۲…»: a mobile number without its 0 only by shape
    if cue is None or kind in ("tracking_code", "phone_number") or is_valid_national_id(digits):
        return kind
    if cue == "tracking_code" and len(digits) >= _TRACKING_CODE_SHORTEST:
        return "tracking_code"
    if cue == "phone_number" and digits.lstrip("+").startswith(("09", "9")):
        return "phone_number"
    if cue == "national_id" and len(digits) in _NATIONAL_ID_LENGTHS:
        return "national_id"
    return kind


def _value(kind: str, digits: str) -> str:
    return normalize_phone(digits) or digits if kind == "phone_number" else digits


def extract_entities(text: str, catalog: Catalog) -> list[Entity]:
    """Entities in normalised ``text`` (ASCII digits), ordered by position."""
    found: list[Entity] = []
    blocked = list(sheba_spans(text))
    for span in find_numbers(text):
        if any(span.start < e and s < span.end for s, e in blocked):
            continue
        raw = text[span.start : span.end]
        kind = classify_number(raw, span.digits, catalog, named_kind(text, span.start))
        if kind:
            found.append(Entity(kind, _value(kind, span.digits), span.start, span.end))
            continue
        # «کد ملی 0012345679 7140312345678» may arrive as one spaced run: try its groups.
        groups: list[NumberSpan] = split_groups(span, text) if " " in raw or "-" in raw else []
        for part in groups:
            part_raw = text[part.start : part.end]
            part_kind = classify_number(part_raw, part.digits, catalog)
            if part_kind:
                found.append(Entity(part_kind, _value(part_kind, part.digits), part.start, part.end))
    numbers = [(e.start, e.end) for e in found]
    for kind, ident, start, end in find_names(catalog, text):
        if not any(start < e and s < end for s, e in numbers):
            found.append(Entity(kind, ident, start, end))
    return sorted(found, key=lambda e: e.start)
