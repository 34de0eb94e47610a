"""How-to questions: find the guide or FAQ, then deliver it one short step per message."""

from __future__ import annotations

import logging
from abc import ABCMeta, abstractmethod
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import LAST_SUBJECT, about, entity_value, is_button, latest_user_text
from actions.replies import REPLIES, say, send
from actions.runtime import runtime
from content.model import Article
from content.procedures import Missing, missing_procedure, procedures, without_procedures
from content.search import decide
from content.steps import render_step
from nlu.persian import persian_digits
from nlu.writing import MAX_BUTTON_CHARS, fit

logger = logging.getLogger(__name__)
POPULAR = ("passport-new", "smart-card-duplicate", "pension-request")


def deliver_step(article: Article, step: int, dispatcher: CollectingDispatcher, domain: dict) -> List[Dict[Text, Any]]:
    step, reply = render_step(REPLIES, article, step)
    send(dispatcher, reply)
    return [SlotSet("article_id", article.id), SlotSet("article_step", float(step)), about("guide", article.id)]


def start_article(article: Article, dispatcher: CollectingDispatcher, domain: dict) -> List[Dict[Text, Any]]:
    if len(article.steps) > 1:
        say(dispatcher, "guide_title", title=article.title, count=persian_digits(len(article.steps)))
    return deliver_step(article, 0, dispatcher, domain)


def article_buttons(articles: list[Article]) -> list[dict]:
    """One button per article, opening it as a guide; a title an admin wrote too long is shortened."""
    return [{"title": fit(a.title, MAX_BUTTON_CHARS), "payload": f'/how_to{{"article_id":"{a.id}"}}'} for a in articles]


def offer_choices(articles: list[Article], dispatcher: CollectingDispatcher, key: str) -> None:
    say(dispatcher, key, choices=article_buttons(articles))


async def answer_question(
    text: str, dispatcher: CollectingDispatcher, domain: dict, strict: bool = False
) -> Optional[List[Dict[Text, Any]]]:
    """Answer from the content if it can: the events, or None when nothing fits.

    ``strict`` (a question the classifier did not place) accepts only a clearer match.
    """
    index = await runtime().content.index()
    matches = index.search(text)
    answer = decide(matches, accept=0.45 if strict else 0.32)
    logger.info("content search matches=%d best=%.2f", len(matches), matches[0].score if matches else 0.0)
    if answer.chosen:
        return start_article(answer.chosen, dispatcher, domain)
    if answer.choices:
        offer_choices(answer.choices, dispatcher, "guide_choose")
        return []
    return None


class ActionHowTo(Action):
    def name(self) -> Text:
        return "action_how_to"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        store = runtime().content
        chosen = entity_value(tracker, "article_id")
        if chosen:
            article = await store.article(chosen)
            if article:
                # «ادامه» of a guide left unfinished names its step (actions/resume.py).
                step = entity_value(tracker, "guide_step")
                if step and step.isdigit():
                    return deliver_step(article, int(step), dispatcher, domain)
                return start_article(article, dispatcher, domain)
        if is_button(tracker):
            # «راهنمای کارها» from the menu: no question yet, so offer the common ones.
            popular = [a for a in [await store.article(i) for i in POPULAR] if a]
            offer_choices(popular, dispatcher, "guide_topics")
            return []
        text = latest_user_text(tracker)
        named = entity_value(tracker, "service")
        # A question naming no service or agency is about the last answer's («چطوری تمدیدش کنم؟»).
        context = None if named or entity_value(tracker, "agency") else subject_service(tracker)
        index = await store.index()
        if context:
            # Unless what it asks has a topic of its own («رمز عبورمو گم کردم»).
            own = decide(index.search(without_procedures(text, procedures()))).chosen
            if own is not None and own.service != context:
                return start_article(own, dispatcher, domain)
        service = named or context
        missing = missing_procedure(text, service, index.articles, procedures())
        if missing and service:
            say_missing(dispatcher, missing, service)
            return []
        known = runtime().catalog.service(context) if context else None
        events = await answer_question(f"{known.name} {text}" if known else text, dispatcher, domain)
        if events is None:
            say(dispatcher, "guide_not_found")
            return []
        return events


def subject_service(tracker: Tracker) -> Optional[str]:
    """The service the last answer was about (the ``last_subject`` slot), if any."""
    kind, _, value = str(tracker.get_slot(LAST_SUBJECT) or "").partition(":")
    return value if kind == "service" and value else None


def say_missing(dispatcher: CollectingDispatcher, missing: Missing, service_id: str) -> None:
    """No guide for this procedure of the service: said so, with the service's guides."""
    service = runtime().catalog.service(service_id)
    name = service.name if service else ""
    say(
        dispatcher, "guide_missing", choices=article_buttons(missing.nearest), procedure=missing.procedure.name, service_name=name
    )


class _MoveInGuide(Action, metaclass=ABCMeta):
    """Abstract, so rasa-sdk registers only the two moves."""

    @property
    @abstractmethod
    def delta(self) -> int: ...

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        # A step's own button says where it was shown; typed, the guide open now.
        shown = entity_value(tracker, "guide_step")
        article_id = entity_value(tracker, "article_id") if shown else tracker.get_slot("article_id")
        article = await runtime().content.article(article_id) if article_id else None
        if article is None:
            say(dispatcher, "no_guide_open")
            return []
        step = int(shown if shown and shown.isdigit() else tracker.get_slot("article_step") or 0) + self.delta
        return deliver_step(article, step, dispatcher, domain)


class ActionGuideNext(_MoveInGuide):
    delta = 1

    def name(self) -> Text:
        return "action_guide_next"


class ActionGuidePrevious(_MoveInGuide):
    delta = -1

    def name(self) -> Text:
        return "action_guide_previous"
