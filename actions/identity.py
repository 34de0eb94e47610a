"""Reading identity values the citizen typed: national id, phone number, one-time code."""

from __future__ import annotations

import re
from typing import Optional

from actions.runtime import runtime
from nlu.entities import extract_entities
from nlu.identifiers import find_numbers, is_foreign_national_id, is_valid_national_id, normalize_phone
from nlu.persian import normalize


def read_entity(value: object, entity: str) -> Optional[str]:
    """The entity's value in a slot filled from an entity or from free text."""
    text = normalize(str(value or ""))
    found = [e.value for e in extract_entities(text, runtime().catalog) if e.entity == entity]
    if found:
        return found[0]
    numbers = find_numbers(text)
    return numbers[0].digits if len(numbers) == 1 else None


def national_id_ok(value: Optional[str]) -> bool:
    return value is not None and (is_valid_national_id(value) or is_foreign_national_id(value))


def read_phone(value: object) -> Optional[str]:
    digits = read_entity(value, "phone_number")
    return normalize_phone(digits) if digits else None


def read_code(value: object) -> Optional[str]:
    """A one-time code: the digits typed, spaces allowed («۴۸۲ ۹۱۵»)."""
    digits = re.sub(r"\D", "", normalize(str(value or "")))
    return digits if 4 <= len(digits) <= 8 else None
