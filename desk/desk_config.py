"""config/desk.yml (or HAMYAR_DESK): office hours, Jalali holidays, queue limits, priority rules."""

from __future__ import annotations

import os
from datetime import date, time
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Mapping, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jdatetime
import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from agencies.handoff_rules import HandoffRule

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "config" / "desk.yml"
# Python's weekday numbers (Monday 0) of the Iranian week's days, as the file names them.
WEEKDAYS = {"saturday": 5, "sunday": 6, "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4}


def _clock_time(value: Any) -> Any:
    # Unquoted 08:00 is a number in YAML 1.1 (480): refuse it rather than read it as seconds.
    if not isinstance(value, (str, time)):
        raise ValueError('a time is written quoted, e.g. "08:00"')
    return value


def _jalali_day(value: Any) -> date:
    """«1405-01-01» (or an unquoted YAML date, whose numbers are taken as Jalali) as the Gregorian day."""
    if isinstance(value, date):
        year, month, day = value.year, value.month, value.day
    else:
        try:
            year, month, day = (int(part) for part in str(value).split("-"))
        except ValueError:
            raise ValueError(f"a holiday is a Jalali date like 1405-01-01, not {value!r}") from None
    return jdatetime.date(year, month, day).togregorian()


ClockTime = Annotated[time, BeforeValidator(_clock_time)]
JalaliDay = Annotated[date, BeforeValidator(_jalali_day)]


class _Strict(BaseModel):
    # A misspelt key is an error at start-up, not a setting silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Hours(_Strict):
    open: ClockTime
    close: ClockTime

    @model_validator(mode="after")
    def _ordered(self) -> "Hours":
        if self.close <= self.open:
            raise ValueError("close must be after open")
        return self


class Week(_Strict):
    saturday: Optional[Hours] = None
    sunday: Optional[Hours] = None
    monday: Optional[Hours] = None
    tuesday: Optional[Hours] = None
    wednesday: Optional[Hours] = None
    thursday: Optional[Hours] = None
    friday: Optional[Hours] = None

    def on(self, day: date) -> Optional[Hours]:
        """The hours of ``day``'s weekday, None when that weekday is closed."""
        name = next(name for name, number in WEEKDAYS.items() if number == day.weekday())
        return getattr(self, name)


class QueueLimits(_Strict):
    max_waiting: int = Field(default=20, ge=1)
    alert_after_minutes: float = Field(default=10, gt=0)
    default_handling_minutes: float = Field(default=5, gt=0)
    handling_history: int = Field(default=50, ge=1)
    messages_kept: int = Field(default=30, ge=1)
    serving_seconds: float = Field(default=300, gt=0)


class AgencyLimits(_Strict):
    """An agency's own limits; what it leaves out comes from ``queue``."""

    max_waiting: Optional[int] = Field(default=None, ge=1)
    alert_after_minutes: Optional[float] = Field(default=None, gt=0)


class Condition(_Strict):
    """Exactly one of the conditions a rule can have."""

    reason_is: Optional[str] = None
    contacts_about_case_at_least: Optional[int] = Field(default=None, ge=1)
    case_waiting_on_citizen: Optional[bool] = None

    @model_validator(mode="after")
    def _one(self) -> "Condition":
        if len(self.model_fields_set) != 1:
            raise ValueError(
                "a rule has exactly one condition: reason_is, contacts_about_case_at_least or case_waiting_on_citizen"
            )
        return self


class PriorityRule(_Strict):
    name: str
    when: Condition
    # Scores in the queue are priority then arrival time in milliseconds: this bound keeps them exact.
    priority: int = Field(ge=1, le=99)
    label: str = Field(min_length=1)


class CannedReply(_Strict):
    """A ready answer the desk offers an agent: for one agency's conversations, or (no agency) for all."""

    text: str = Field(min_length=1, max_length=1000)
    agency: Optional[str] = None


class DeskConfig(_Strict):
    timezone: str = "Asia/Tehran"
    office_hours: Week
    holidays: tuple[JalaliDay, ...] = ()
    queue: QueueLimits = QueueLimits()
    agencies: dict[str, AgencyLimits] = {}
    priorities: tuple[PriorityRule, ...] = ()
    # Read by the actions (agencies/handoff_rules.py); checked here with the rest of the file.
    handoff_rules: tuple[HandoffRule, ...] = ()
    canned_replies: tuple[CannedReply, ...] = ()

    @model_validator(mode="after")
    def _usable(self) -> "DeskConfig":
        try:
            ZoneInfo(self.timezone)  # an unknown zone fails here, not at the first citizen
        except (ValueError, ZoneInfoNotFoundError):
            raise ValueError(f"timezone: no such zone {self.timezone!r}") from None
        if not any(getattr(self.office_hours, name) for name in WEEKDAYS):
            raise ValueError("office_hours: at least one day must be open")
        return self

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def holiday_days(self) -> frozenset[date]:
        return frozenset(self.holidays)

    def _agency(self, agency: str) -> AgencyLimits:
        return self.agencies.get(agency) or AgencyLimits()

    def max_waiting(self, agency: str) -> int:
        return self._agency(agency).max_waiting or self.queue.max_waiting

    def alert_after_seconds(self, agency: str) -> float:
        return 60 * (self._agency(agency).alert_after_minutes or self.queue.alert_after_minutes)

    def canned_for(self, agency: Optional[str]) -> list[str]:
        """The ready answers for a conversation of ``agency``: the general ones, then its own."""
        return [reply.text for reply in self.canned_replies if reply.agency is None or reply.agency == agency]


def load_desk_config(path: Optional[os.PathLike] = None, env: Optional[Mapping[str, str]] = None) -> DeskConfig:
    env = os.environ if env is None else env
    source = Path(path or env.get("HAMYAR_DESK") or DEFAULT_PATH)
    return DeskConfig.model_validate(yaml.safe_load(source.read_text(encoding="utf-8")) or {})
