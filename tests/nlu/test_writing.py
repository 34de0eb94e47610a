"""Fitting an agency's words into the writing rules: shortened or split, never cut in half."""

import pytest

from nlu.writing import ELLIPSIS, MAX_CHARS, MAX_WORDS, fit, latin_words, reader_digits, sentences

ZWNJ = "\u200c"


def shown_words(fitted: str) -> list[str]:
    return fitted.replace(ELLIPSIS, " ").split()


def assert_within_rules(fitted: str, max_chars: int = MAX_CHARS, max_words: int = MAX_WORDS) -> None:
    assert len(fitted) <= max_chars, fitted
    assert all(len(s.split()) <= max_words for s in sentences(fitted)), fitted


def assert_starts_with_whole_words(fitted: str, text: str) -> None:
    words = shown_words(fitted)
    assert words == text.split()[: len(words)], fitted


def test_a_short_text_is_kept_as_it_is():
    text = "پرونده شما در نوبت بررسی است."
    assert fit(text) == text


def test_an_empty_text_stays_empty():
    assert fit("") == ""
    assert fit("  \n ") == ""


def test_a_long_text_ends_at_a_whole_word_with_an_ellipsis():
    text = "کارشناس سازمان مدارک شما را بررسی می‌کند و نتیجه را با پیامک خبر می‌دهد. " * 10
    fitted = fit(text)
    assert fitted.endswith(ELLIPSIS)
    assert_within_rules(fitted)
    assert_starts_with_whole_words(fitted, text)
    assert len(fitted) > MAX_CHARS - 30, "as much is kept as fits"


def test_a_long_sentence_goes_on_to_new_lines_and_loses_no_word():
    text = " ".join(f"کار{i}" for i in range(45))
    fitted = fit(text)
    assert_within_rules(fitted)
    assert fitted.split() == text.split()
    assert fitted.count("\n") == 2


def test_a_long_sentence_breaks_after_a_comma_in_the_second_half():
    words = [f"کلمه{i}" for i in range(30)]
    words[14] += "،"
    fitted = fit(" ".join(words))
    assert fitted.split("\n")[0].endswith("کلمه14،")


def test_a_word_joined_by_a_half_space_is_never_cut():
    word = f"درخواست{ZWNJ}های{ZWNJ}بررسی{ZWNJ}نشده"
    fitted = fit(f"همه {word} امروز", max_chars=len(f"همه {word}"))
    assert fitted == f"همه{ELLIPSIS}"


def test_a_text_without_spaces_is_shown_whole_or_not_at_all():
    assert fit("الف" * 50) == "الف" * 50
    assert fit("الف" * 200) == ELLIPSIS


@pytest.mark.parametrize("number", ["۰۹۱۲ ۳۴۵ ۶۷۸۹", "۱۲٬۵۰۰٬۰۰۰", "1405/03/01", "۷۱۲۳۴۵۶۷۸۹۰۱۲"])
def test_a_number_is_never_cut(number):
    text = f"برای پیگیری با شماره {number} تماس بگیرید"
    for limit in range(len("برای پیگیری با شماره") + 2, len(text)):
        fitted = fit(text, max_chars=limit)
        assert_within_rules(fitted, max_chars=limit)
        shown = fitted.replace(ELLIPSIS, "")
        assert number in shown or not any(part in shown for part in number.split()), fitted


def test_a_number_in_groups_counts_its_words_but_stays_on_one_line():
    text = "شماره " + " ".join(["۱۲۳"] * 4) + " را بگیرید"
    assert "۱۲۳ ۱۲۳ ۱۲۳ ۱۲۳" in fit(text, max_words=3).split("\n")


def test_latin_words_and_links_are_kept_whole():
    link = "https://my.tamin.ir/services/pension-request"
    text = f"درخواست را در سامانه EPS یا در {link} ثبت کنید"
    for limit in range(10, len(text)):
        fitted = fit(text, max_chars=limit)
        assert_within_rules(fitted, max_chars=limit)
        assert_starts_with_whole_words(fitted, text)


def test_nothing_fits_in_no_room():
    assert fit("سلام", max_chars=0) == ""
    assert fit("سلام دنیا", max_chars=1) == ELLIPSIS


def test_latin_words_are_found_outside_placeholders_and_the_allow_list():
    assert latin_words("لطفاً کد SMS را بنویسید؛ مثل H-ABCDE. {phone}") == ["SMS"]
    assert latin_words("پیوند: https://t.me/hamyar") == ["https://t.me/hamyar"]


def test_numbers_are_written_in_persian_digits_but_links_and_codes_as_typed():
    assert reader_digits("ساعت 8 تا 14، کد H-12 یا https://x.ir/a1") == "ساعت ۸ تا ۱۴، کد H-12 یا https://x.ir/a1"
