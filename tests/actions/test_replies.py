"""actions/replies.py: several replies said as one message stay within one message's length."""

from __future__ import annotations

from actions.replies import REPLIES, line, lines_within
from nlu.writing import ELLIPSIS, MAX_CHARS, reader_digits

# An agency's words as long as they may come (tests/content/test_writing_rules.py has the same kind).
LONG = (
    "درخواست شما در کارتابل کارشناس واحد رسیدگی به درخواست‌های ثبت‌شده در سامانه قرار گرفت و پس از بررسی مدارک "
    "بارگذاری‌شده و استعلام از سازمان‌های مرتبط، نتیجه تا 48 ساعت از طریق پیامک اعلام خواهد شد، "
) * 3


def case_lines(status: str, next_step: str, office: str) -> list:
    return [
        line("case_status", title="مستمری بازنشستگی", status=status, last_update="۱۴۰۵/۰۹/۱۶ ساعت ۱۰:۳۰"),
        line("case_next_step", next_step=next_step),
        line("case_office", office=office),
    ]


def test_short_replies_are_said_whole():
    lines = case_lines("در حال بررسی", "منتظر مدارک بمانید", "شعبه ۱۲ تهران")
    texts = lines_within(lines)
    assert texts == [REPLIES.render(one.key, **one.values)["text"] for one in lines]
    assert all(ELLIPSIS not in text for text in texts)


def test_an_agencys_long_words_share_one_message():
    texts = lines_within(case_lines(LONG, LONG, "شعبه ۱۲ تهران"))
    assert len("\n".join(texts)) <= MAX_CHARS
    # The short office is whole; the two long texts are cut between words, each keeping a start.
    assert "شعبه ۱۲ تهران" in texts[2] and ELLIPSIS not in texts[2]
    for text in texts[:2]:
        assert ELLIPSIS in text and reader_digits(LONG)[:40] in text


def test_each_part_is_held_even_when_all_are_long():
    texts = lines_within(case_lines(LONG, LONG, LONG))
    assert len("\n".join(texts)) <= MAX_CHARS and all(reader_digits(LONG)[:20] in text for text in texts)
