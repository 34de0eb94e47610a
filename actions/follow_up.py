"""Questions about the last answer, answered about it: «کی درست میشه؟» after a service's status
(the restore time), «بعدش چیکار کنم؟» or «کجا برم؟» after a case (its next step, its office),
«یعنی چی؟» after a guide step (the step again, a sentence a line), anything after a complaint
(its tracking code).

Each answer says what it was about in ``last_subject`` ("service:<id>", "case:<agency>",
"guide:<article>", "complaint:<code>"); the table ANSWERS routes (subject, question) to its
answer: no guessing from the words beyond the question's intent. Inside a form, the question is
about the form's pending question, which is explained, then asked again.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.aside import ActionDontHave
from actions.common import LAST_SUBJECT, is_button, last_case, tag
from actions.guides import ActionGuideNext, article_buttons
from actions.persian_format import jalali_datetime, optional_datetime
from actions.replies import say
from actions.runtime import runtime
from agencies.client import AgencyUnavailable, CaseNotFound, NationalIdMismatch, UnknownService

logger = logging.getLogger(__name__)

# The question each intent asks; a typed «بعدش چیکار کنم؟» is next_step.
QUESTIONS = {"ask_when": "when", "ask_where": "where", "ask_explain": "explain", "next_step": "next"}
Events = List[Dict[Text, Any]]


def subject_of(tracker: Tracker) -> tuple[str, str]:
    kind, _, value = str(tracker.get_slot(LAST_SUBJECT) or "").partition(":")
    return kind, value


async def answer_about_service(question: str, service_id: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
    rt = runtime()
    service = rt.catalog.service(service_id)
    if service is None:
        return await no_subject(dispatcher, tracker)
    try:
        status = await rt.client(service.agency_id).service_status(service.id, rt.deadline())
    except (AgencyUnavailable, UnknownService):
        logger.warning("follow-up: service status unavailable conversation=%s", tag(tracker))
        say(dispatcher, "follow_unavailable")
        return []
    if question == "when":
        if status.status == "up":
            say(dispatcher, "follow_service_up", service_name=service.name)
        elif status.expected_restore:
            say(
                dispatcher,
                "follow_service_when",
                expected_restore=optional_datetime(status.expected_restore),
                service_name=service.name,
            )
        else:
            say(dispatcher, "follow_service_when_unknown", service_name=service.name)
    elif question == "explain":
        say(dispatcher, f"follow_service_meaning_{status.status}", service_name=service.name)
        if status.message:
            say(dispatcher, "follow_service_said", message=status.message)
    else:  # what next, where
        guides = [a for a in (await rt.content.index()).articles if a.service == service.id]
        say(dispatcher, "follow_service_next", choices=article_buttons(guides[:3]), service_name=service.name)
    return []


async def answer_about_case(question: str, agency_id: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
    rt = runtime()
    _, code, _, _ = last_case(tracker)
    proof = await rt.verified.proof(tracker)
    if not code or proof is None:
        # The case is shown again only to whom it was proved to, in this session.
        say(dispatcher, "follow_case_prove_again")
        return []
    try:
        case = await rt.client(agency_id).case(code, proof.national_id, rt.deadline())
    except (CaseNotFound, NationalIdMismatch):
        say(dispatcher, "follow_case_prove_again")
        return []
    except AgencyUnavailable:
        logger.warning("follow-up: case unavailable agency=%s conversation=%s", agency_id, tag(tracker))
        say(dispatcher, "follow_unavailable")
        return []
    if question == "next":
        if case.next_step:
            say(dispatcher, "follow_case_next", next_step=case.next_step)
        else:
            say(dispatcher, "follow_case_no_next")
    elif question == "where":
        if case.office:
            say(dispatcher, "follow_case_where", office=case.office)
        else:
            say(dispatcher, "follow_case_no_office")
    elif question == "when":
        say(dispatcher, "follow_case_when", last_update=jalali_datetime(case.last_update))
    else:
        say(dispatcher, f"follow_case_meaning_{case.status}", status=case.status_text)
    return []


def sentence_lines(step: str) -> str:
    """A step a sentence (or clause) a line: read one piece at a time."""
    pieces = [p.strip() for p in re.split(r"(?<=[.!؟?])\s+|،\s+", step) if p.strip()]
    return "\n".join(f"• {p}" for p in pieces)


async def answer_about_guide(question: str, article_id: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
    if question == "next":
        return await ActionGuideNext().run(dispatcher, tracker, {})
    article = await runtime().content.article(article_id)
    if article is None:
        return await no_subject(dispatcher, tracker)
    step = min(int(tracker.get_slot("article_step") or 0), len(article.steps) - 1)
    plain = article.plain.get(step + 1) if article.plain else None
    say(dispatcher, "follow_guide_plain", step=plain or sentence_lines(article.steps[step]))
    return []


async def answer_about_complaint(question: str, code: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
    say(dispatcher, "follow_complaint", tracking_code=code)
    return []


async def no_subject(dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
    say(dispatcher, "follow_no_subject")
    return []


Answer = Callable[[str, str, CollectingDispatcher, Tracker], Awaitable[Events]]
ANSWERS: dict[str, Answer] = {
    "service": answer_about_service,
    "case": answer_about_case,
    "guide": answer_about_guide,
    "complaint": answer_about_complaint,
}


async def follow_up(question: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
    """The question answered about the last answer's subject."""
    kind, value = subject_of(tracker)
    answer: Optional[Answer] = ANSWERS.get(kind)
    if answer is None or not value:
        return await no_subject(dispatcher, tracker)
    return await answer(question, value, dispatcher, tracker)


class ActionFollowUp(Action):
    """«کی؟», «کجا؟», «یعنی چی؟» about the last answer, or about a form's pending question."""

    def name(self) -> Text:
        return "action_follow_up"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> Events:
        if tracker.active_loop_name:
            # What the pending question asks for and where it is found; the form asks it again.
            return await ActionDontHave().run(dispatcher, tracker, domain)
        intent = str((tracker.latest_message.get("intent") or {}).get("name") or "")
        kind, _ = subject_of(tracker)
        if intent == "next_step" and (is_button(tracker) or kind in ("guide", "")):
            return await ActionGuideNext().run(dispatcher, tracker, domain)  # «مرحله بعد» of a guide
        return await follow_up(QUESTIONS.get(intent, "explain"), dispatcher, tracker)
