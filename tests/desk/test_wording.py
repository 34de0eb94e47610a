"""What the citizen reads about the queue: Persian digits, rounded waits, short plain sentences."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from desk.desk_config import load_desk_config
from desk.office_hours import next_opening
from desk.queue import Position
from desk.wording import (
    callback_offer,
    cancel_hint,
    cancelled_message,
    closed_message,
    joined_message,
    opening_in_words,
    place_message,
    time_in_words,
    wait_in_words,
)

TEHRAN = ZoneInfo("Asia/Tehran")


def tehran(*args: int) -> datetime:
    return datetime(*args, tzinfo=TEHRAN)


def plain(text: str) -> None:
    """PERSIAN.md's measurable rules: short, short sentences, no Latin digits."""
    assert len(text) <= 300, text
    assert not re.search(r"[0-9]", text), text
    for sentence in re.split(r"[.؟!]", text):
        assert len(sentence.split()) <= 20, sentence


@pytest.mark.parametrize(
    "seconds, words",
    [
        (0, "کمتر از یک دقیقه"),
        (59, "کمتر از یک دقیقه"),
        (60, "حدود یک دقیقه"),
        (150, "حدود ۳ دقیقه"),  # 2.5 minutes rounds up, as people round
        (290, "حدود ۵ دقیقه"),
        (9 * 60 + 20, "حدود ۹ دقیقه"),
        (13 * 60, "حدود ۱۵ دقیقه"),
        (29 * 60, "حدود نیم ساعت"),
        (47 * 60, "حدود ۴۵ دقیقه"),
        (57 * 60, "حدود یک ساعت"),
        (80 * 60, "حدود یک ساعت و نیم"),
        (125 * 60, "حدود ۲ ساعت"),
        (150 * 60, "حدود ۲ ساعت و نیم"),
        (6 * 3600, "بیش از ۴ ساعت"),
    ],
)
def test_waits_are_rounded_as_a_person_says_them(seconds: int, words: str) -> None:
    assert wait_in_words(seconds) == words


@pytest.mark.parametrize(
    "hour, minute, words",
    [
        (8, 0, "۸ صبح"),
        (8, 30, "۸ و نیم صبح"),
        (9, 15, "۹ و ۱۵ دقیقه صبح"),
        (12, 0, "۱۲ ظهر"),
        (13, 0, "۱ بعدازظهر"),
        (16, 0, "۴ بعدازظهر"),
        (18, 0, "۶ عصر"),
        (21, 0, "۹ شب"),
        (0, 0, "۱۲ شب"),
    ],
)
def test_clock_times_in_words(hour: int, minute: int, words: str) -> None:
    assert time_in_words(tehran(2026, 4, 25, hour, minute)) == words


def test_the_place_and_the_wait() -> None:
    text = place_message(Position(3, 290))
    assert "نفر ۳" in text and "حدود ۵ دقیقه" in text and "«لغو»" in text
    assert "نفر اول" in place_message(Position(1, 20)) and "کمتر از یک دقیقه" in place_message(Position(1, 20))
    assert "کارشناس" in place_message(Position(0, 0)) and "نفر" not in place_message(Position(0, 0))
    for position in (Position(3, 290), Position(1, 20), Position(12, 5000), Position(0, 0)):
        plain(place_message(position))
        plain(joined_message(position))


def test_joining_says_where_the_conversation_went_then_the_place() -> None:
    text = joined_message(Position(2, 600))
    assert text.startswith("گفتگوی شما به صف کارشناسان رفت.") and text.endswith(place_message(Position(2, 600)))
    assert joined_message(Position(0, 0)) == place_message(Position(0, 0))


def test_the_way_back_and_the_cancel() -> None:
    assert "«لغو»" in cancel_hint()
    plain(cancel_hint())
    plain(cancelled_message())


@pytest.mark.parametrize(
    "now, words",
    [
        (tehran(2026, 4, 30, 18, 0), "شنبه ساعت ۸ صبح"),  # Thursday evening
        (tehran(2026, 5, 1, 20, 0), "فردا ساعت ۸ صبح"),  # Friday evening
        (tehran(2026, 4, 25, 6, 30), "امروز ساعت ۸ صبح"),  # Saturday before opening
        (tehran(2026, 3, 19, 14, 0), "چهارشنبه ساعت ۸ صبح"),  # before Nowruz
    ],
)
def test_the_next_opening_in_words(now: datetime, words: str) -> None:
    assert opening_in_words(next_opening(load_desk_config(), now), now) == words


def test_an_opening_a_week_or_more_away_has_its_jalali_date() -> None:
    now = datetime(2026, 3, 19, 10, 30, tzinfo=timezone.utc)  # any zone: the opening's is used
    assert opening_in_words(tehran(2026, 4, 4, 8, 30), now) == "شنبه ۱۵ فروردین ساعت ۸ و نیم صبح"


def test_the_closed_message() -> None:
    now = tehran(2026, 4, 30, 18, 0)
    text = closed_message(next_opening(load_desk_config(), now), now)
    assert "شنبه ساعت ۸ صبح" in text
    plain(text)


def test_the_call_back_offer() -> None:
    assert "تماس" in callback_offer() and "شلوغ" not in callback_offer()
    assert "شلوغ" in callback_offer(queue_full=True)
    plain(callback_offer())
    plain(callback_offer(queue_full=True))
