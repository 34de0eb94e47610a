"""A reply's text as a person would say it aloud, for the speech engine (connectors/voice.py).

Pure: no I/O. A code or a phone number is read digit by digit («صفر نه یک دو…»), an amount or a
count as a number («دو میلیون و پانصد هزار»), a Jalali date «۱۵ مهر ۱۴۰۵» as «پانزدهم مهر هزار و
چهارصد و پنج». A run of five or more digits is a code; fewer, a number, unless it starts with 0.
Money is always an amount («۵۰۰۰۰ تومان»: «پنجاه هزار تومان»). Emoji and other symbols nobody
pronounces are dropped.
"""

from __future__ import annotations

import re

from nlu.persian import ascii_digits

DIGITS = ("صفر", "یک", "دو", "سه", "چهار", "پنج", "شش", "هفت", "هشت", "نه")
_TEENS = ("ده", "یازده", "دوازده", "سیزده", "چهارده", "پانزده", "شانزده", "هفده", "هجده", "نوزده")
_TENS = ("", "", "بیست", "سی", "چهل", "پنجاه", "شصت", "هفتاد", "هشتاد", "نود")
_HUNDREDS = ("", "صد", "دویست", "سیصد", "چهارصد", "پانصد", "ششصد", "هفتصد", "هشتصد", "نهصد")
_SCALES = ((10**12, "هزار میلیارد"), (10**9, "میلیارد"), (10**6, "میلیون"), (10**3, "هزار"))
MONTHS = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند")
# Ordinals whose word changes more than by «م»: «یکم» is said «اول», «سه» + «م» is «سوم».
_ORDINAL = {1: "اول", 3: "سوم"}
# A count says its value; longer runs, a leading zero, or digits joined by dashes or letters are
# identifiers (tracking codes, phones, national ids), which people read digit by digit.
MAX_COUNT_DIGITS = 4
_MONTH = "|".join(MONTHS)
_DATE = re.compile(rf"(?<![0-9])([0-9]{{1,2}})\s+({_MONTH})(?:\s+([0-9]{{4}}))?(?![0-9])")
_SLASH_DATE = re.compile(r"(?<![0-9/])(1[34][0-9]{2})/([0-9]{1,2})/([0-9]{1,2})(?![0-9/])")
_AMOUNT = re.compile(r"(?<![0-9,٬])[0-9]{1,3}(?:[,٬][0-9]{3})+(?![0-9,٬])")
# Money written without separators («۵۰۰۰۰ تومان») is an amount, however many digits it has.
_MONEY = re.compile(r"(?<![0-9A-Za-z\-])([1-9][0-9]*)(?=\s*(?:تومان|ریال))")
# A run of digits, possibly joined by dashes or spaces inside a code: «H-1405-123456», «0912 345 6789».
_CODE = re.compile(r"(?<![0-9A-Za-z])(?:[A-Za-z]{1,4}-)?[A-Za-z]{0,4}-?[0-9](?:[0-9]|[- ](?=[0-9]))*(?![0-9])")
_TIME = re.compile(r"(?<![0-9:])([0-9]{1,2}):([0-9]{2})(?![0-9:])")
# Pictographs, arrows, dingbats and variation selectors: shown, never said.
_SYMBOLS = re.compile("[\U0001f000-\U0001faff\u2190-\u21ff\u2300-\u27bf\u2b00-\u2bff\ufe0f\u200d•«»*_#|<>\\[\\]{}]")


def number_words(value: int) -> str:
    """``value`` (0 or more) in Persian words: 1405 → «هزار و چهارصد و پنج»."""
    if value < 0:
        return "منفی " + number_words(-value)
    if value == 0:
        return DIGITS[0]
    parts: list[str] = []
    for scale, name in _SCALES:
        if value >= scale:
            count, value = divmod(value, scale)
            # «هزار», not «یک هزار»; but «یک میلیون».
            parts.append(name if count == 1 and scale == 1000 else f"{number_words(count)} {name}")
    if value:
        parts.append(_below_thousand(value))
    return " و ".join(parts)


def _below_thousand(value: int) -> str:
    hundreds, rest = divmod(value, 100)
    parts = [_HUNDREDS[hundreds]] if hundreds else []
    if 10 <= rest < 20:
        parts.append(_TEENS[rest - 10])
    else:
        tens, ones = divmod(rest, 10)
        if tens:
            parts.append(_TENS[tens])
        if ones:
            parts.append(DIGITS[ones])
    return " و ".join(parts)


def ordinal_words(value: int) -> str:
    """«پانزدهم», «اول», «سوم», «بیست و سوم»."""
    if value in _ORDINAL:
        return _ORDINAL[value]
    words = number_words(value)
    if value % 10 == 3 and value % 100 != 13:
        return words[: -len("سه")] + "سوم"
    return words + "م"


def digit_by_digit(code: str) -> str:
    """Each digit (and letter) of a code on its own; dashes and spaces are pauses."""
    said = []
    for char in code:
        if char.isdigit():
            said.append(DIGITS[int(char)])
        elif char.isascii() and char.isalpha():
            said.append(char.upper())
        elif said and said[-1] != "،":
            said.append("،")
    return " ".join(said).replace(" ،", "،").strip("، ")


def _date(match: re.Match) -> str:
    day, month, year = match.groups()
    said = f"{ordinal_words(int(day))} {month}"
    return f"{said} {number_words(int(year))}" if year else said


def _slash_date(match: re.Match) -> str:
    year, month, day = (int(part) for part in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return match.group(0)
    return f"{ordinal_words(day)} {MONTHS[month - 1]} {number_words(year)}"


def _is_count(digits: str) -> bool:
    return len(digits) <= MAX_COUNT_DIGITS and not (len(digits) > 1 and digits.startswith("0"))


def _number_or_code(match: re.Match) -> str:
    token = match.group(0)
    if token.isdigit() and _is_count(token):
        return number_words(int(token))
    groups = token.split(" ")
    if all(g.isdigit() and _is_count(g) for g in groups) and len("".join(groups)) < 5:
        # Counts that only stand side by side («از ۹ تا ۱۴ ۳۰ نفر»): too few digits for a code.
        return " ".join(number_words(int(g)) for g in groups)
    return digit_by_digit(token)


def spoken(text: str) -> str:
    """The words to say for ``text`` (Persian or ASCII digits alike)."""
    text = _SYMBOLS.sub(" ", ascii_digits(text))
    text = _SLASH_DATE.sub(_slash_date, text)
    text = _DATE.sub(_date, text)
    text = _AMOUNT.sub(lambda m: number_words(int(re.sub(r"[,٬]", "", m.group(0)))), text)
    text = _MONEY.sub(lambda m: number_words(int(m.group(1))), text)
    text = _TIME.sub(lambda m: f"{number_words(int(m.group(1)))} و {number_words(int(m.group(2)))} دقیقه", text)
    text = _CODE.sub(_number_or_code, text)
    return re.sub(r"[ \t]+", " ", re.sub(r"\s*\n\s*", ".\n", text)).strip()
