"""Office hours for a gateway under test (config/desk.yml's shape): open at any moment, or closed
for the coming week, whatever the clock says."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import jdatetime

WEEK = ("saturday", "sunday", "monday", "tuesday", "wednesday", "thursday", "friday")


def desk_config(path: Path, open_now: bool) -> Path:
    """Open all day every day, or closed: every day from yesterday to next week a holiday."""
    if open_now:
        days = "\n".join(f'  {day}: {{open: "00:00", close: "23:59:59.999999"}}' for day in WEEK)
        holidays = "[]"
    else:
        days = '  saturday: {open: "08:00", close: "16:00"}'
        today = datetime.now(ZoneInfo("Asia/Tehran")).date()
        jalali = [jdatetime.date.fromgregorian(date=today + timedelta(days=n)) for n in range(-1, 9)]
        holidays = "[" + ", ".join(f'"{d.year}-{d.month:02d}-{d.day:02d}"' for d in jalali) + "]"
    path.write_text(f"office_hours:\n{days}\nholidays: {holidays}\n", encoding="utf-8")
    return path
