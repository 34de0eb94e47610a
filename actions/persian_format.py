"""How values are written to citizens: Jalali dates with Persian month names, Persian digits."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Optional

import jdatetime

from nlu.persian import persian_digits

TEHRAN = timezone(timedelta(hours=3, minutes=30))  # Iran has had no daylight saving since 2022
MONTHS = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند")


def jalali_date(moment: datetime) -> str:
    """«۳ آذر ۱۴۰۵»"""
    local = moment.astimezone(TEHRAN) if moment.tzinfo else moment
    day = jdatetime.date.fromgregorian(date=local.date())
    return persian_digits(f"{day.day} {MONTHS[day.month - 1]} {day.year}")


def jalali_datetime(moment: datetime) -> str:
    """«۳ آذر ۱۴۰۵، ساعت ۱۰:۳۰»"""
    local = moment.astimezone(TEHRAN) if moment.tzinfo else moment
    return f"{jalali_date(local)}، ساعت {persian_digits(local.strftime('%H:%M'))}"


def waiting_time(seconds: int) -> str:
    """«۵ دقیقه», «۲ ساعت»: how long to wait, rounded up to what a person would say."""
    minutes = max(1, -(-seconds // 60))
    if minutes < 60:
        return f"{persian_digits(minutes)} دقیقه"
    return f"{persian_digits(-(-minutes // 60))} ساعت"


def masked_national_id(national_id: str) -> str:
    """«۰۰۱***۲۳۰»: recognisable to its owner, useless to anyone reading over a shoulder."""
    return persian_digits(national_id[:3] + "***" + national_id[-3:]) if len(national_id) >= 8 else "***"


def optional_datetime(moment: Optional[datetime]) -> str:
    return jalali_datetime(moment) if moment else "نامعلوم"


def masked_phone(phone: str) -> str:
    """«۰۹۱۲***۶۷۸۹»: enough for the citizen to recognise their number."""
    return persian_digits(phone[:4] + "***" + phone[-4:]) if len(phone) >= 8 else "***"
