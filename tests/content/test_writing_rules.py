"""Every text Hamyar sends holds to the measured rules of shared/PERSIAN.md."""

import re

import pytest
import yaml

from content.loader import load_articles
from content.replies import DEFAULT_PATH, Replies

MAX_CHARS = 300
MAX_WORDS = 20


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"[.!?؟\n:]+", text) if s.strip()]


def check_text(text: str) -> None:
    filled = re.sub(r"\{[a-z_]+\}", "xxxx", text)
    assert len(filled) <= MAX_CHARS, f"{len(filled)} characters: {text[:60]}"
    for sentence in sentences(filled):
        assert len(sentence.split()) <= MAX_WORDS, f"sentence of {len(sentence.split())} words: {sentence}"
    assert not re.search(r"[0-9]", re.sub(r"\{[a-z_]+\}", "", text)), f"ASCII digits in a reply: {text[:60]}"
    for blame in ("ورودی نامعتبر", "خطای کاربر", "اشتباه کردید"):
        assert blame not in text


REPLIES = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))


@pytest.mark.parametrize("key", [k for k, v in REPLIES.items() if "text" in v])
def test_reply_is_short_plain_persian(key):
    check_text(REPLIES[key]["text"])


QUESTIONS = [k for k, v in REPLIES.items() if v.get("text", "").rstrip().endswith(("؟", "?"))]


@pytest.mark.parametrize("key", QUESTIONS)
def test_questions_offer_buttons(key):
    """A question has buttons for its answers (or the action adds them) and a way out."""
    payloads = {b["payload"] for b in Replies().buttons(key)}
    if key == "ask_complaint_confirmed":
        assert payloads == {"/affirm", "/deny"}
    else:
        # The greeting is the menu itself; desk/callback.py adds «برگشت به همیار» to its steps.
        assert "/help" in payloads or {"/case_status", "/request_human"} <= payloads or key.startswith("callback_"), key


def test_there_are_questions_to_check():
    assert len(QUESTIONS) >= 5


def test_every_button_has_a_title_and_a_payload():
    for key in REPLIES:
        for button in Replies().buttons(key):
            # Rasa's intents, or the desk's own steps, which the gateway answers (desk/divert.py).
            assert button["title"].strip() and button["payload"].startswith(("/", "desk:"))


@pytest.mark.parametrize("article", load_articles(), ids=lambda a: a.id)
def test_article_steps_are_short(article):
    assert 1 <= len(article.steps) <= 8
    for step in article.steps:
        check_text(step)


def test_there_are_enough_articles():
    articles = load_articles()
    assert len(articles) >= 12
    assert len({a.id for a in articles}) == len(articles)
