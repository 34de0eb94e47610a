"""Office hours: the Iranian week in Tehran time, Friday off, Jalali holidays."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from desk.desk_config import DeskConfig, load_desk_config
from desk.office_hours import is_open, next_opening

TEHRAN = ZoneInfo("Asia/Tehran")
# 2026-04-25 is Saturday 1405-02-05, a week with no holiday in config/desk.yml.


def tehran(*args: int) -> datetime:
    return datetime(*args, tzinfo=TEHRAN)


@pytest.fixture(scope="module")
def config() -> DeskConfig:
    return load_desk_config()


@pytest.mark.parametrize(
    "moment, expected",
    [
        (tehran(2026, 4, 25, 9, 0), True),  # a working Saturday morning
        (tehran(2026, 4, 25, 7, 59), False),
        (tehran(2026, 4, 25, 15, 59), True),
        (tehran(2026, 4, 25, 16, 0), False),  # closing time is closed
        (tehran(2026, 5, 1, 10, 0), False),  # Friday
        (tehran(2026, 4, 30, 12, 30), True),  # Thursday before one
        (tehran(2026, 4, 30, 14, 0), False),  # Thursday afternoon
        (tehran(2026, 4, 1, 10, 0), False),  # Wednesday 1405-01-12, a holiday
        (tehran(2026, 3, 24, 10, 0), False),  # Tuesday 1405-01-04, Nowruz
    ],
)
def test_is_open(config: DeskConfig, moment: datetime, expected: bool) -> None:
    assert is_open(config, moment) is expected


def test_days_and_hours_are_tehrans_whatever_zone_the_moment_is_in(config: DeskConfig) -> None:
    # 04:45 UTC on Saturday is 08:15 in Tehran: open.
    assert is_open(config, datetime(2026, 4, 25, 4, 45, tzinfo=timezone.utc))
    # 20:45 UTC on Friday is already Saturday 00:15 in Tehran: the desk opens that same morning.
    late = datetime(2026, 4, 24, 20, 45, tzinfo=timezone.utc)
    assert not is_open(config, late)
    assert next_opening(config, late) == tehran(2026, 4, 25, 8, 0)


def test_across_midnight_the_next_opening_is_the_next_morning(config: DeskConfig) -> None:
    assert next_opening(config, tehran(2026, 4, 28, 23, 30)) == tehran(2026, 4, 29, 8, 0)
    assert next_opening(config, tehran(2026, 4, 29, 0, 10)) == tehran(2026, 4, 29, 8, 0)


def test_from_a_thursday_evening_the_next_opening_is_saturday_morning(config: DeskConfig) -> None:
    opening = next_opening(config, tehran(2026, 4, 30, 18, 0))
    assert opening == tehran(2026, 5, 2, 8, 0)
    assert opening.tzinfo == TEHRAN and opening.weekday() == 5


def test_holidays_are_skipped(config: DeskConfig) -> None:
    # Tuesday 1405-01-11: Wednesday and Thursday are holidays, Friday is off.
    assert next_opening(config, tehran(2026, 3, 31, 18, 0)) == tehran(2026, 4, 4, 8, 0)
    # Thursday 1404-12-27, before Nowruz (1405-01-01 to 04, Saturday to Tuesday): Wednesday.
    assert next_opening(config, tehran(2026, 3, 19, 14, 0)) == tehran(2026, 3, 25, 8, 0)


def test_while_open_the_next_opening_is_now(config: DeskConfig) -> None:
    now = tehran(2026, 4, 25, 10, 15)
    assert next_opening(config, now) == now


def test_a_naive_moment_is_refused(config: DeskConfig) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        is_open(config, datetime(2026, 4, 25, 9, 0))


def test_a_desk_closed_for_months_says_so() -> None:
    config = DeskConfig.model_validate(
        {
            "office_hours": {"saturday": {"open": "08:00", "close": "09:00"}},
            "holidays": [f"1405-{month:02d}-{day:02d}" for month in (2, 3, 4) for day in range(1, 32)],
        }
    )
    with pytest.raises(ValueError, match="does not open"):
        next_opening(config, tehran(2026, 4, 21, 10, 0))
