from datetime import datetime, timedelta, timezone

from actions.persian_format import jalali_date, jalali_datetime, masked_phone


def test_jalali_date_with_persian_month_and_digits():
    assert jalali_date(datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)) == "۳ آذر ۱۴۰۵"
    assert jalali_date(datetime(2026, 3, 21, 12, 0, tzinfo=timezone.utc)) == "۱ فروردین ۱۴۰۵"


def test_times_are_tehran_local():
    moment = datetime(2026, 11, 23, 22, 0, tzinfo=timezone.utc)  # 01:30 next day in Tehran
    assert jalali_datetime(moment) == "۳ آذر ۱۴۰۵، ساعت ۰۱:۳۰"
    assert jalali_datetime(moment.astimezone(timezone(timedelta(hours=3, minutes=30)))) == "۳ آذر ۱۴۰۵، ساعت ۰۱:۳۰"


def test_masked_phone():
    assert masked_phone("09121000101") == "۰۹۱۲***۰۱۰۱"
