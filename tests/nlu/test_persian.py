import pytest

from nlu.persian import format_amount, normalize, normalize_with_map, persian_digits


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
        ("کتاب ام", "کتاب ام"),  # only after a final «ه»
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
    assert normalised[mapping[start]:mapping[end]] == normalize(text[start:end])
    assert len(mapping) == len(text) + 1
    assert mapping == sorted(mapping)


def test_replies_use_persian_digits():
    assert persian_digits(1405) == "۱۴۰۵"
    assert format_amount(1250000) == "۱٬۲۵۰٬۰۰۰ تومان"
