"""config/desk.yml: what it must hold, and the mistakes it refuses at start-up."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest
from pydantic import ValidationError

from desk.desk_config import DeskConfig, load_desk_config

WEEK = {"saturday": {"open": "08:00", "close": "16:00"}}


def test_the_shipped_file_has_the_iranian_week_holidays_limits_and_rules() -> None:
    config = load_desk_config()
    assert config.timezone == "Asia/Tehran"
    assert config.office_hours.friday is None
    assert config.office_hours.thursday is not None and config.office_hours.thursday.close == time(13, 0)
    assert date(2026, 3, 21) in config.holiday_days  # 1405-01-01, Nowruz
    assert config.max_waiting("police") == 20 and config.alert_after_seconds("police") == 8 * 60
    assert config.alert_after_seconds("an-agency-not-listed") == 10 * 60
    assert {rule.name for rule in config.priorities} == {"complaint", "repeated_contact", "case_waiting_on_citizen"}


def test_an_agency_and_a_holiday_are_added_in_the_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "desk.yml"
    path.write_text(
        'office_hours:\n  saturday: {open: "08:00", close: "16:00"}\n'
        'holidays: ["1405-02-10", 1405-03-01]\n'  # quoted, and as YAML reads an unquoted date
        "agencies:\n  maliat: {max_waiting: 7}\n",
        encoding="utf-8",
    )
    config = load_desk_config(env={"HAMYAR_DESK": str(path)})
    assert config.max_waiting("maliat") == 7
    assert config.holiday_days == {date(2026, 4, 30), date(2026, 5, 22)}


@pytest.mark.parametrize(
    "change, words",
    [
        ({"office_hours": {"saturday": {"open": 480, "close": "16:00"}}}, "quoted"),  # YAML's reading of 08:00
        ({"office_hours": {"saturday": {"open": "16:00", "close": "08:00"}}}, "close must be after open"),
        ({"office_hours": {"friday": None}}, "at least one day must be open"),
        ({"holidays": ["1405/01/01"]}, "Jalali date"),
        ({"holidays": ["1405-12-30"]}, "out of range"),  # 1405 is not a leap year
        ({"timezone": "Asia/Nowhere"}, "Asia/Nowhere"),
        ({"queue": {"max_wait": 3}}, "max_wait"),
        ({"priorities": [{"name": "x", "when": {}, "priority": 1, "label": "x"}]}, "exactly one condition"),
        (
            {
                "priorities": [
                    {"name": "x", "when": {"reason_is": "a", "case_waiting_on_citizen": True}, "priority": 1, "label": "x"}
                ]
            },
            "exactly one condition",
        ),
        ({"priorities": [{"name": "x", "when": {"reason_is": "a"}, "priority": 100, "label": "x"}]}, "99"),
    ],
)
def test_mistakes_are_refused_with_a_reason(change: dict, words: str) -> None:
    with pytest.raises((ValidationError, ValueError), match=words):
        DeskConfig.model_validate({"office_hours": WEEK, **change})
