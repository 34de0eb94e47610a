"""Entities Hamyar reads from normalised text, with no trained model.

Numbers are classified by shape and checksum, tracking codes by each agency's configured pattern,
and services and agencies by the live catalogue's names and synonyms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from nlu.catalog import Catalog
from nlu.identifiers import (
    NumberSpan,
    find_numbers,
    is_bank_card,
    is_foreign_national_id,
    normalize_phone,
    sheba_spans,
    split_groups,
)


@dataclass(frozen=True)
class Entity:
    entity: str
    value: str
    start: int
    end: int


def classify_number(raw: str, digits: str, catalog: Catalog) -> Optional[str]:
    """Which entity a digit string is, or None (bank cards and unknown lengths are nothing)."""
    if is_bank_card(digits):
        return None
    looks_international = raw.startswith("+") or raw.startswith("00") or (digits.startswith("989") and len(digits) == 12)
    if normalize_phone(digits) and (len(digits) != 12 or looks_international):
        return "phone_number"
    if catalog.agency_for_code(digits):
        return "tracking_code"
    if len(digits) == 10 or is_foreign_national_id(digits):
        return "national_id"
    return None


def _value(kind: str, digits: str) -> str:
    return normalize_phone(digits) or digits if kind == "phone_number" else digits


def extract_entities(text: str, catalog: Catalog) -> list[Entity]:
    """Entities in normalised ``text`` (ASCII digits), ordered by position."""
    found: list[Entity] = []
    blocked = list(sheba_spans(text))
    for span in find_numbers(text):
        if any(span.start < e and s < span.end for s, e in blocked):
            continue
        raw = text[span.start:span.end]
        kind = classify_number(raw, span.digits, catalog)
        if kind:
            found.append(Entity(kind, _value(kind, span.digits), span.start, span.end))
            continue
        # «کد ملی 0012345679 7140312345678» may arrive as one spaced run: try its groups.
        groups: list[NumberSpan] = split_groups(span, text) if " " in raw or "-" in raw else []
        for part in groups:
            part_raw = text[part.start:part.end]
            part_kind = classify_number(part_raw, part.digits, catalog)
            if part_kind:
                found.append(Entity(part_kind, _value(part_kind, part.digits), part.start, part.end))
    numbers = [(e.start, e.end) for e in found]
    for kind, ident, start, end in catalog.find_names(text):
        if not any(start < e and s < end for s, e in numbers):
            found.append(Entity(kind, ident, start, end))
    return sorted(found, key=lambda e: e.start)
