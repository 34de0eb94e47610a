"""The sandbox's own checks on what citizens send an agency: identifiers and mobile numbers."""

from __future__ import annotations

import re
from typing import Optional

_MOBILE = re.compile(r"(?:0098|98|0)?(9[0-9]{9})")


def national_id_ok(value: str) -> bool:
    """A کد ملی (10 ASCII digits, the last a check digit over the first nine, not all one digit)
    or a foreign national's شناسه فراگیر اتباع (12 ASCII digits, not all one digit)."""
    if not value.isascii() or not value.isdigit() or len(set(value)) == 1:
        return False
    if len(value) == 12:
        return True
    if len(value) != 10:
        return False
    remainder = sum(int(digit) * weight for digit, weight in zip(value[:9], range(10, 1, -1))) % 11
    expected = remainder if remainder < 2 else 11 - remainder
    return int(value[9]) == expected


def mobile(value: str) -> Optional[str]:
    """An Iranian mobile number as ``09xxxxxxxxx`` (from 09…, 9…, 98…, +98… or 0098…), or None."""
    match = _MOBILE.fullmatch(value.lstrip("+"))
    return "0" + match.group(1) if match else None
