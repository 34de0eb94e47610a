"""nlu/sentences.py: the questions of one message."""

from __future__ import annotations

import pytest

from nlu.sentences import split_questions


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("سامانه گذرنامه کار میکنه؟ چطوری تمدیدش کنم؟", ["سامانه گذرنامه کار میکنه؟", "چطوری تمدیدش کنم؟"]),
        ("کار میکنه؟؟ چطوری بگیرم?", ["کار میکنه؟؟", "چطوری بگیرم?"]),
        ("سامانه کار میکنه؟ ؟ مدارکش چیه؟ ممنون", ["سامانه کار میکنه؟ ؟", "مدارکش چیه؟", "ممنون"]),
        ("سامانه گواهینامه کار میکنه؟ میخوام ازش شکایت کنم", ["سامانه گواهینامه کار میکنه؟", "میخوام ازش شکایت کنم"]),
        ("سامانه گذرنامه کار میکنه؟", ["سامانه گذرنامه کار میکنه؟"]),
        ("سلام. پرونده ۱۲۳ چی شد", ["سلام. پرونده ۱۲۳ چی شد"]),
        ("الف؟ ب؟ ج؟ د؟", ["الف؟ ب؟ ج؟ د؟"]),  # more than three: one message, as it is
        ("", [""]),
    ],
)
def test_questions_of_a_message(text, parts):
    assert split_questions(text) == parts
