"""Whether the call centre is open, and when it next opens: the configured week and Jalali holidays.

``now`` is a timezone-aware moment; days and hours are read in the configured zone (Tehran), so a
moment just after midnight UTC-wise is still judged by Tehran's calendar.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from desk.desk_config import DeskConfig, Hours

# Nowruz with the weekends around it is under three weeks; a config whose only open day falls in
# a long run of holidays gives up here rather than search for ever.
_LOOK_AHEAD_DAYS = 60


def _hours(config: DeskConfig, day: date) -> Hours | None:
    return None if day in config.holiday_days else config.office_hours.on(day)


def _local(config: DeskConfig, now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(config.zone)


def is_open(config: DeskConfig, now: datetime) -> bool:
    local = _local(config, now)
    hours = _hours(config, local.date())
    return hours is not None and hours.open <= local.time() < hours.close


def next_opening(config: DeskConfig, now: datetime) -> datetime:
    """The first moment at or after ``now`` when the desk is open (``now`` itself while it is),
    in the configured zone."""
    local = _local(config, now)
    if is_open(config, local):
        return local
    for ahead in range(_LOOK_AHEAD_DAYS + 1):
        day = local.date() + timedelta(days=ahead)
        hours = _hours(config, day)
        if hours is None:
            continue
        opening = datetime.combine(day, hours.open, tzinfo=config.zone)
        if opening >= local:
            return opening
    raise ValueError(f"the desk does not open in the next {_LOOK_AHEAD_DAYS} days")
