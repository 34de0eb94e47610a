import re
from pathlib import Path

import pytest

from nlu.persian import clipped, format_amount, has_words, normalize, normalize_with_map, persian_digits


@pytest.mark.parametrize("variant", ["می‌خواهم", "می خواهم", "میخواهم", "مي خواهم", "میـــخواهم"])
def test_three_spellings_of_a_verb_are_one_token(variant):
    assert normalize(variant) == "میخواهم"
    assert len(normalize(variant).split()) == 1


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("كارت مليم", "کارت ملیم"),  # Arabic kaf and yeh
        ("سلااام", "سلام"),
        ("سلللللام", "سللام"),  # at most two: the speller reads it as «سلام»
        ("تغییییر", "تغییر"),  # a real double letter survives a long run
        ("ممممنون", "ممنون"),
        ("پرونده ام", "پروندهام"),  # the same token as «پرونده‌ام»
        ("پرونده‌ام", "پروندهام"),
        ("رفته اند", "رفتهاند"),
        ("پرونده امروز", "پرونده امروز"),  # only a whole ending joins
        ("کتاب ام", "کتاب ام"),  # not after a consonant: «کتابم» is written joined
        ("پاییز", "پاییز"),  # a real double letter stays
        ("مُحَمَّد", "محمد"),  # diacritics and shadda
        ("۰۹۱۲ ۳۴۵ ۶۷۸۹", "0912 345 6789"),
        ("٠١٢٣٤٥٦٧٨٩", "0123456789"),
        ("سلام،خوبی؟", "سلام, خوبی?"),
        ("\u200fسلام\u202e  \u200c دنیا\u2066", "سلام دنیا"),  # bidi marks cannot hide text
        ("پرونده ها", "پروندهها"),
        ("پرونده‌ها", "پروندهها"),
        ("نمی دونم", "نمیدونم"),
        ("SALAM Khobi", "salam khobi"),
        ("شناسنامهٔ من", "شناسنامه من"),
        ("أحمد", "احمد"),
        ("  ", ""),
        ("", ""),
    ],
)
def test_normalise(raw, expected):
    assert normalize(raw) == expected


ZWNJ = "\u200c"


@pytest.mark.parametrize(
    "written, expected",  # «|» stands for a space, a half-space, or nothing
    [
        ("پرونده|ام", "پروندهام"),
        ("خونه|ام", "خونهام"),
        ("خونه|ات", "خونهات"),
        ("خونه|اش", "خونهاش"),
        ("رفته|ایم", "رفتهایم"),
        ("رفته|اید", "رفتهاید"),
        ("رفته|اند", "رفتهاند"),
        ("بیمه|ای", "بیمهای"),  # «سابقه بیمه ای» (insurance record)
        ("شماره|ی ملی", "شمارهی ملی"),  # ezafe
        ("کارت ملی|ام", "کارت ملیام"),  # after a word ending in «ی»
        ("گوشی|اش", "گوشیاش"),
        ("ایرانی|اند", "ایرانیاند"),
        ("کتاب|ها", "کتابها"),
        ("کتاب|های من", "کتابهای من"),
        ("کتاب|هایی", "کتابهایی"),
        ("کتاب|هایم", "کتابهایم"),
        ("بیش|تر", "بیشتر"),
        ("بزرگ|ترین", "بزرگترین"),
        ("می|خواهم", "میخواهم"),
        ("نمی|دونم", "نمیدونم"),
        ("شبهه|ها", "شبهها"),  # runs are cut after the join: never three letters in a row
    ],
)
def test_a_spaced_ending_is_the_same_token_as_the_half_spaced_one(written, expected):
    spaced, half_spaced, glued = (written.replace("|", joint) for joint in (" ", ZWNJ, ""))
    assert normalize(spaced) == normalize(half_spaced) == normalize(glued) == expected


@pytest.mark.parametrize(
    "text",
    [
        "ها?",  # the interjection on its own
        "کتاب ام",  # after a consonant the ending is written joined («کتابم»)
        "اس ام اس",  # the letter M (hazm: «اس‌ام اس»)
        "پی ام بده",  # a two-letter word ending in «ی» is a Latin letter's name
        "هزینه ام آر آی",  # MRI
        "هزینه ام ار ای",
        "نه ای بابا",  # «نه», «که», «چه», «به» take no ending
        "که ای کاش",
        "خسته ای خدا",  # the vocative «ای»
        "دانشجو ام",  # after «و» the ending takes «ی» («دانشجویم»)
        "پرونده امروز",  # only a whole ending joins
        "آهن گری",  # «گر» is also a word
    ],
)
def test_a_spaced_word_that_may_stand_alone_stays_apart(text):
    assert normalize(text) == text


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("تغییییر", "تغییر"),  # a letter Persian doubles keeps two
        ("پاییییز", "پاییز"),
        ("مممنون", "ممنون"),
        ("نننه", "ننه"),  # not «نه» (no)
        ("بببخشید", "ببخشید"),  # not «بخشید» (gave)
        ("خووووب", "خووب"),  # the speller reads it as «خوب»
        ("سلااام", "سلام"),  # alef, stretched, is one
        ("خواااااهش", "خواهش"),
        ("ناامید", "ناامید"),  # two alefs typed are kept: a prefix meets an alef
        ("یاالله", "یاالله"),
        ("صبحححح", "صبح"),  # letters no Persian word doubles are one
        ("خخخخ", "خ"),
        ("عالییییی", "عالیی"),
        ("salaaaam", "salaam"),
        ("۱۱۱۰۰۰", "111000"),  # digits never
        ("کککتاب ها", "ککتابها"),  # after the runs, the joins
    ],
)
def test_a_letter_typed_three_or_more_times(raw, expected):
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    "text",
    ["شبهه ها", "خستهههه ام", "پرونده اااام", "خسته ای ام", "سلا\u200cاام", "تغییییر ها", "نه ای بابا", "سلام،خوبی…"],
)
def test_normalising_twice_changes_nothing(text):
    assert normalize(normalize(text)) == normalize(text)


def test_an_ellipsis_character_is_three_dots():
    assert normalize("صبر کنید…") == normalize("صبر کنید...") == "صبر کنید..."


@pytest.mark.parametrize(
    "text",
    [
        "سلااام، کارت ملی ام گم شده…",
        "خیییلی ممنونننن پرونده ها رو دیدم",
        "می خواااهم شماره ی ملیم رو ثبت کنم",
        "نه ای بابا کتاب هایی که ناامید…شدم",
        "ك\u064eد م\u0650لی\u200cام ۰۰۱۲۳۴۵۶۷۸ ‏هست",
        "salaaaam   KHOBI?سلام",
    ],
)
def test_every_word_maps_to_its_own_normal_form(text):
    normalised, mapping = normalize_with_map(text)
    assert len(mapping) == len(text) + 1
    assert mapping == sorted(mapping)
    assert mapping[0] == 0 and mapping[-1] == len(normalised)
    for word in re.finditer(r"[^ ]+", text):
        start, end = word.span()
        assert normalised[mapping[start] : mapping[end]] == normalize(text[start:end]), word.group()


def test_codes_keep_repeated_digits():
    assert normalize("۱۱۱۰۰۰") == "111000"


@pytest.mark.parametrize(
    "text, span",
    [
        ("پرونده ۷۱۴۰۵۰۸۲۱۳۴۵۷ چی شد", (7, 20)),
        ("می خواهم پاسپورتم را تمدید کنم", (9, 17)),
        ("سلااام، کد ملیم ٠٠١٦٣٨٣٢٣٠ هست", (16, 26)),
        ("كارت مُلّي\u200c من", (0, 10)),
    ],
)
def test_entity_spans_stay_aligned(text, span):
    normalised, mapping = normalize_with_map(text)
    start, end = span
    assert normalised[mapping[start] : mapping[end]] == normalize(text[start:end])
    assert len(mapping) == len(text) + 1
    assert mapping == sorted(mapping)


def shown_strings(node: object) -> list[str]:
    """Every string a reply shows the citizen: texts and button titles, not payloads."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [s for item in node for s in shown_strings(item)]
    if isinstance(node, dict):
        return [s for key, value in node.items() if key != "payload" for s in shown_strings(value)]
    return []


def test_replies_use_persian_digits():
    import yaml

    bot = Path(__file__).resolve().parents[2] / "bot"
    replies = yaml.safe_load((bot / "replies.yml").read_text(encoding="utf-8"))
    responses = yaml.safe_load((bot / "domain.yml").read_text(encoding="utf-8"))["responses"]
    shown = shown_strings(replies) + shown_strings(responses)
    assert len(shown) > 100
    # Numbers reach a reply through its placeholders, written by these two.
    assert not [text for text in shown if re.search(r"[0-9]", text)]
    assert persian_digits(1405) == "۱۴۰۵"
    assert format_amount(1250000) == "۱٬۲۵۰٬۰۰۰ تومان"


@pytest.mark.parametrize("text", ["سلام", "ok", "۱۲۳", "12", "پرونده؟"])
def test_a_message_with_a_letter_or_digit_has_words(text):
    assert has_words(text)


def test_a_long_text_is_clipped_to_its_two_ends():
    words = [f"w{i}" for i in range(100)]
    assert clipped(" ".join(words), 5) == "w0 w1 w2 w98 w99"
    assert clipped(" ".join(words), 4) == "w0 w1 w98 w99"


@pytest.mark.parametrize("limit", [0, 3, 10])
def test_a_text_within_the_limit_is_kept_as_it_is(limit):
    text = "سلام  پرونده من"  # two spaces: kept too
    assert clipped(text, limit) == text


@pytest.mark.parametrize("text", ["", "  ", "؟؟؟", "...", "!!", "<>", "\u200c", "😐"])
def test_marks_alone_are_not_words(text):
    assert not has_words(text)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("👍", "باشه"),
        ("👍🏽", "باشه"),
        ("👌️", "باشه"),
        ("👎", "نه"),
        ("🙏", "ممنون"),
        ("❤️", "ممنون"),
        ("مرسی🌹", "مرسی ممنون"),
        ("باشه 👍 بفرستید", "باشه باشه بفرستید"),
        ("سلام 😊", "سلام 😊"),
    ],
)
def test_an_answering_emoji_reads_as_its_word(raw, expected):
    assert normalize(raw) == expected
    assert normalize(expected) == expected


def test_an_emoji_word_keeps_the_spans_around_it_aligned():
    text = "مرسی🙏 کد ملیم ۰۰۱۲۳۴۵۶۷۸"
    normalised, mapping = normalize_with_map(text)
    start = text.index("۰")
    assert normalised[mapping[start] : mapping[len(text)]] == "0012345678"
    assert normalised[mapping[4] : mapping[5]] == "ممنون"
