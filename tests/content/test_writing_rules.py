"""Every text Hamyar sends holds to the measured rules of shared/PERSIAN.md."""

import re
from pathlib import Path

import pytest
import yaml

from agencies.catalog import CatalogFile
from content.loader import load_articles
from content.replies import DEFAULT_PATH, Replies, fitted
from desk.wording import BACK_TO_BOT, CALLBACK_YES, CANCEL_WORD
from nlu.writing import ELLIPSIS, MAX_BUTTON_CHARS, MAX_CHARS, MAX_WORDS, latin_words, reader_digits, sentences

DOMAIN = Path(DEFAULT_PATH).with_name("domain.yml")


def check_text(text: str) -> None:
    filled = re.sub(r"\{[a-z_]+\}", "xxxx", text)
    assert len(filled) <= MAX_CHARS, f"{len(filled)} characters: {text[:60]}"
    for sentence in sentences(filled):
        assert len(sentence.split()) <= MAX_WORDS, f"sentence of {len(sentence.split())} words: {sentence}"
    assert not re.search(r"[0-9]", re.sub(r"\{[a-z_]+\}", "", text)), f"ASCII digits in a reply: {text[:60]}"
    for blame in ("ورودی نامعتبر", "خطای کاربر", "اشتباه کردید"):
        assert blame not in text
    assert not latin_words(text), f"English words {latin_words(text)} (nlu/writing.py keeps the allowed ones): {text[:60]}"


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


# What citizens read beyond bot/replies.yml: the domain's own responses, the catalogue's names
# (the titles of the buttons that choose an agency or a service) and the articles' titles.
RESPONSES = yaml.safe_load(DOMAIN.read_text(encoding="utf-8")).get("responses") or {}
CATALOG = CatalogFile().get()
NAMES = [a.name for a in CATALOG.agencies] + [s.name for a in CATALOG.agencies for s in a.services]


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_domain_response_is_short_plain_persian(name):
    for variant in RESPONSES[name]:
        check_text(variant["text"])


def button_titles() -> list[str]:
    """Every button title Hamyar defines: replies, domain responses, the desk's, the catalogue's
    names and the articles' titles. A placeholder stands for the longest name it may hold."""
    longest = max(NAMES, key=len)
    titles = [b["title"] for key in REPLIES for b in Replies().buttons(key)]
    titles += [b["title"] for variants in RESPONSES.values() for v in variants for b in v.get("buttons", [])]
    titles += [CALLBACK_YES, BACK_TO_BOT, CANCEL_WORD, *NAMES, *(a.title for a in load_articles())]
    return [re.sub(r"\{[a-z_]+\}", longest, t) for t in titles]


@pytest.mark.parametrize("title", button_titles())
def test_button_title_fits_a_phone_line(title):
    assert len(title) <= MAX_BUTTON_CHARS, f"{len(title)} characters"
    assert not re.search(r"[0-9]", title) and not latin_words(title)


@pytest.mark.parametrize("article", load_articles(), ids=lambda a: a.id)
def test_article_title_is_short_plain_persian(article):
    check_text(article.title)


def test_names_citizens_read_are_persian():
    assert not [n for n in NAMES if latin_words(n) or re.search(r"[0-9]", n)]


# An agency's words, as long and awkward as they may come: long sentences, half-spaces, numbers.
AGENCY_TEXT = (
    "درخواست شما در کارتابل کارشناس واحد رسیدگی به درخواست‌های ثبت‌شده در سامانه قرار گرفت و پس از بررسی مدارک "
    "بارگذاری‌شده و استعلام از سازمان‌های مرتبط، نتیجه تا 48 ساعت از طریق پیامک به شماره ۰۹۱۲ ۳۴۵ ۶۷۸۹ اعلام خواهد شد، "
) * 4
OUTSIDE = [key for key, entry in REPLIES.items() if entry.get("outside")]


def test_replies_name_the_agency_texts_they_show():
    assert {"case_status", "case_next_step", "case_office", "service_down", "case_changed"} <= set(OUTSIDE)
    for key in OUTSIDE:
        assert all(f"{{{name}}}" in REPLIES[key]["text"] for name in REPLIES[key]["outside"]), key


@pytest.mark.parametrize("key", OUTSIDE)
def test_an_agencys_long_words_are_fitted_into_the_rules(key):
    names = set(re.findall(r"\{([a-z_]+)\}", REPLIES[key]["text"]))
    values = {n: AGENCY_TEXT if n in REPLIES[key]["outside"] else max(NAMES, key=len) for n in names}
    check_text(Replies().render(key, **values)["text"])
    shown = fitted(REPLIES[key]["text"], values, REPLIES[key]["outside"])
    for name in REPLIES[key]["outside"]:
        # What is shown of the agency's words starts as they did, cut only between words.
        words = shown[name].replace(ELLIPSIS, "").split()
        assert " ".join(reader_digits(values[name]).split()).startswith(" ".join(words)) and len(words) >= 10, name
