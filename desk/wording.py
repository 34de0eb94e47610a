"""What the citizen is told about the queue, in plain Persian: their place, the wait in words a
person would use, how to go back to the bot, when the desk opens, and the call-back offer.

Pure functions of the values they are given; Persian digits, short sentences (/work/shared/PERSIAN.md).
"""

from __future__ import annotations

from datetime import datetime

import jdatetime

from desk.queue import Position
from nlu.persian import persian_digits

CANCEL_WORD = "لغو"
# Titles of the buttons offered with the call-back (the gateway issues their ids).
CALLBACK_YES = "بله، با من تماس بگیرید"
BACK_TO_BOT = "برگشت به همیار"

# Python's weekday numbers (Monday 0) to the Persian day names.
WEEKDAY_NAMES = ("دوشنبه", "سه‌شنبه", "چهارشنبه", "پنج‌شنبه", "جمعه", "شنبه", "یکشنبه")
MONTH_NAMES = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند")


def _round(value: float) -> int:
    """Half up, as people round (Python's round() takes 2.5 to 2)."""
    return int(value + 0.5)


def _count(number: int) -> str:
    # «یک دقیقه», «یک ساعت» read better than «۱ دقیقه».
    return "یک" if number == 1 else persian_digits(number)


def wait_in_words(seconds: float) -> str:
    """«کمتر از یک دقیقه», «حدود ۵ دقیقه», «حدود نیم ساعت», «حدود یک ساعت و نیم»: rounded as a
    person would say it (to the minute, then to five minutes, then to half hours)."""
    if seconds < 60:
        return "کمتر از یک دقیقه"
    minutes = _round(seconds / 60)
    if minutes >= 10:
        minutes = 5 * _round(minutes / 5)
    if minutes == 30:
        return "حدود نیم ساعت"
    if minutes < 55:
        return f"حدود {_count(minutes)} دقیقه"
    halves = _round(minutes / 30)
    if halves > 8:
        return "بیش از ۴ ساعت"
    hours = f"{_count(halves // 2)} ساعت"
    return f"حدود {hours} و نیم" if halves % 2 else f"حدود {hours}"


def time_in_words(moment: datetime) -> str:
    """«۸ صبح», «۸ و نیم صبح», «۱ بعدازظهر»: the clock as people say it, on a 12-hour dial."""
    hour, minute = moment.hour, moment.minute
    if 5 <= hour < 12:
        part = "صبح"
    elif hour == 12:
        part = "ظهر"
    elif 13 <= hour < 17:
        part = "بعدازظهر"
    elif 17 <= hour < 20:
        part = "عصر"
    else:
        part = "شب"
    dial = persian_digits(hour % 12 or 12)
    if minute == 0:
        return f"{dial} {part}"
    if minute == 30:
        return f"{dial} و نیم {part}"
    return f"{dial} و {persian_digits(minute)} دقیقه {part}"


def opening_in_words(opening: datetime, now: datetime) -> str:
    """When the desk opens (``next_opening``'s answer, in the desk's zone), seen from ``now``: «امروز ساعت ۸ صبح»,
    «فردا ساعت ۸ صبح», «شنبه ساعت ۸ صبح», or with the Jalali date a week or more away
    («شنبه ۱۵ فروردین ساعت ۸ صبح», after Nowruz)."""
    now = now.astimezone(opening.tzinfo)
    days = (opening.date() - now.date()).days
    clock = f"ساعت {time_in_words(opening)}"
    if days == 0:
        return f"امروز {clock}"
    if days == 1:
        return f"فردا {clock}"
    weekday = WEEKDAY_NAMES[opening.weekday()]
    if days < 7:
        return f"{weekday} {clock}"
    day = jdatetime.date.fromgregorian(date=opening.date())
    return f"{weekday} {persian_digits(day.day)} {MONTH_NAMES[day.month - 1]} {clock}"


def cancel_hint() -> str:
    return f"هر وقت خواستید به همیار برگردید، «{CANCEL_WORD}» را بفرستید."


def place_message(position: Position) -> str:
    """The citizen's place in the queue and the expected wait, with the way back to the bot."""
    if position.place == 0:
        return "یک کارشناس گفتگوی شما را برداشته است و به‌زودی جواب می‌دهد."
    place = "اول" if position.place == 1 else persian_digits(position.place)
    return f"شما نفر {place} صف هستید. زمان انتظار {wait_in_words(position.estimated_seconds)} است. {cancel_hint()}"


def joined_message(position: Position) -> str:
    """The first message in the queue: the conversation went to a person, then the place."""
    if position.place == 0:
        return place_message(position)
    return f"گفتگوی شما به صف کارشناسان رفت. {place_message(position)}"


def transferred_message(position: Position) -> str:
    """An agent passed the conversation on: to another agent (place 0), or to another queue."""
    if position.place == 0:
        return "گفتگوی شما به کارشناس دیگری سپرده شد. او به‌زودی جواب می‌دهد."
    return f"گفتگوی شما به کارشناسان بخش دیگری سپرده شد. {place_message(position)}"


def cancelled_message() -> str:
    return "از صف کارشناسان بیرون آمدید. همیار دوباره در خدمت شماست."


def closed_message(opening: datetime, now: datetime) -> str:
    """Outside office hours: when a person can answer again."""
    return f"الان کارشناسان سر کار نیستند. آن‌ها از {opening_in_words(opening, now)} جواب می‌دهند."


def callback_offer(queue_full: bool = False) -> str:
    """The call-back offer: outside office hours, or (``queue_full``) when too many are waiting."""
    why = "الان صف کارشناسان خیلی شلوغ است. " if queue_full else ""
    return f"{why}اگر بخواهید، کارشناس خودش با شما تماس می‌گیرد. شماره شما را می‌گیریم و زمانی را که دوست دارید می‌پرسیم."


def agent_label(first_name: str) -> str:
    """How a person's words are signed for the citizen: «سارا (کارشناس)», or «کارشناس» alone."""
    first_name = " ".join(first_name.split())
    return f"{first_name} (کارشناس)" if first_name else "کارشناس"
