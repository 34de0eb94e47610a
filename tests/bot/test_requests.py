"""bot/requests.py: a message of two requests is two turns, in order; one of a complaint's own
words stays whole."""

from __future__ import annotations

from typing import Any, Optional

from bot.requests import once_each, requests_in, requests_of

INTENTS = {
    "سامانه گذرنامه کار میکنه؟": "service_status",
    "چطوری تمدیدش کنم؟": "how_to",
    "سلام خوبی؟": "greet",
    "مرسی؟": "thank",
}


class ReadsIntents:
    """Stands in for Rasa's Agent.parse_message (the integration tests use the real one)."""

    def __init__(self) -> None:
        self.parsed: list[str] = []

    async def parse_message(self, text: str) -> dict[str, Any]:
        self.parsed.append(text)
        return {"intent": {"name": INTENTS.get(text, "out_of_scope")}}


def pending(slot: Optional[str]):
    async def read() -> Optional[str]:
        return slot

    return read


async def test_two_requests_are_two_turns_in_order():
    parser = ReadsIntents()
    turns = await requests_in("سامانه گذرنامه کار میکنه؟ چطوری تمدیدش کنم؟", parser, pending(None))
    assert turns == ["سامانه گذرنامه کار میکنه؟", "چطوری تمدیدش کنم؟"]


async def test_one_request_with_a_greeting_stays_one_message():
    text = "سلام خوبی؟ سامانه گذرنامه کار میکنه؟"
    assert await requests_in(text, ReadsIntents(), pending(None)) == [text]


async def test_a_single_question_is_not_parsed_twice():
    parser = ReadsIntents()
    assert await requests_in("چطوری تمدیدش کنم؟", parser, pending(None)) == ["چطوری تمدیدش کنم؟"]
    assert parser.parsed == []


async def test_a_complaints_own_words_stay_whole():
    text = "سامانه گذرنامه کار میکنه؟ چطوری تمدیدش کنم؟"
    assert await requests_in(text, ReadsIntents(), pending("complaint_text")) == [text]


def test_a_part_asking_nothing_joins_the_next_request_or_the_last():
    parts = ["سلام خوبی؟", "سامانه گذرنامه کار میکنه؟", "چطوری تمدیدش کنم؟", "مرسی؟"]
    intents = ["greet", "service_status", "how_to", "thank"]
    assert requests_of(parts, intents) == ["سلام خوبی؟ سامانه گذرنامه کار میکنه؟", "چطوری تمدیدش کنم؟ مرسی؟"]


def test_a_message_repeated_by_a_later_request_is_sent_once_where_it_was_said_last():
    back = {"text": "ادامه؟", "buttons": [{"title": "ادامه پیگیری پرونده"}]}
    question = {"text": "کد ملی را بنویسید"}
    first, second = {"text": "سامانه کار می‌کند"}, {"text": "مرحله ۱"}
    assert once_each([first, back, question, second, back, question]) == [first, second, back, question]
