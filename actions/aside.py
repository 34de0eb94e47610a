"""Something else asked in the middle of a form: answered, then the way back to the form.

The rules of bot/data/rules.yml run these actions when a form's question is not answered (the
slot mappings take no slot from such a message), then run the form again, which repeats its
pending question with what was already given kept.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.case_by_id import search_buttons
from actions.common import FORM_SLOTS, about, entity_value, is_button, latest_user_text, menu_buttons, reset
from actions.guides import ActionHowTo
from actions.replies import REPLIES, say, send
from actions.runtime import runtime
from actions.service_status import tell_status
from nlu.persian import normalize

# The offer to go back to each form (its button sends the form's own intent, which repeats the
# pending question).
BACK = {
    "case_status_form": "aside_back_case",
    "service_status_form": "aside_back_service",
    "file_complaint_form": "aside_back_complaint",
}
# A task's form, started by the task's intent (a menu button sends it bare).
FORMS = {"case_status": "case_status_form", "service_status": "service_status_form", "file_complaint": "file_complaint_form"}
# Intents that ask something of their own: never an answer to a form's question, unless the
# message also carries the asked slot's entity. Kept in step with the slot mappings' not_intent.
QUESTIONS = frozenset({"dont_have", "how_to", "service_status", "next_step", "previous_step", "repeat_message", "correct"})
# What «ندارم» is about, when the message names it (normalised words); else the form's question.
ITEM_WORDS = (
    ("national_id", ("کد ملی", "کدملی", "شماره ملی", "کارت ملی", "meli", "melli")),
    ("phone_number", ("شماره", "موبایل", "تلفن", "سیم کارت", "سیمکارت", "shomare", "mobile")),
    ("tracking_code", ("پیگیری", "رهگیری", "peygiri", "rahgiri")),
)
DONT_HAVE = {
    "tracking_code": "dont_have_tracking_code",
    "national_id": "dont_have_national_id",
    "phone_number": "dont_have_phone_number",
    "otp_code": "dont_have_otp_code",
}


def intent_of(tracker: Tracker) -> str:
    return str((tracker.latest_message.get("intent") or {}).get("name") or "")


def not_an_answer(tracker: Tracker, entity: Optional[str] = None, questions: frozenset[str] = QUESTIONS) -> bool:
    """The latest message does not answer the form's question: a button of something else, or
    a question of its own, without the asked slot's entity."""
    if entity and entity_value(tracker, entity):
        return False
    return is_button(tracker) or intent_of(tracker) in questions


def asked_but_not_answered(
    tracker: Tracker, slot: str, entity: Optional[str] = None, questions: frozenset[str] = QUESTIONS
) -> bool:
    """A form's validator rejects, saying nothing, a value taken from a message that does not
    answer the slot's question (the rules answer it, or the form asks again)."""
    return tracker.get_slot("requested_slot") == slot and not_an_answer(tracker, entity, questions)


def item_asked(tracker: Tracker) -> str:
    """What the citizen says they do not have: named in the message, else the form's question."""
    text = normalize(latest_user_text(tracker)).lower()
    for item, words in ITEM_WORDS:
        if any(normalize(w) in text for w in words):
            return item
    requested = tracker.get_slot("requested_slot") if tracker.active_loop_name else None
    return str(requested or "tracking_code")


def service_buttons() -> list[dict]:
    return [
        {"title": s.name, "payload": "/service_status" + json.dumps({"service": s.id})}
        for a in runtime().catalog.agencies
        for s in a.services
    ]


def offer_back(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    key = BACK.get(tracker.active_loop_name or "")
    if key:
        say(dispatcher, key)


def way_back(form: Optional[str]) -> list[dict]:
    """The button back to a form («ادامه پیگیری پرونده»), or none."""
    key = BACK.get(form or "")
    return REPLIES.render(key)["buttons"][:1] if key else []


def form_left_this_turn(tracker: Tracker) -> Optional[str]:
    """The form a rule gave up in this turn (e.g. for a person), before this action ran."""
    left = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user" and not left:
            return None
        if kind == "active_loop":
            if event.get("name") is None:
                left = True
            elif left:
                return str(event["name"])
    return None


def menu_with_way_back(dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> None:
    """«منو» inside a form: the menu, and first among its buttons the way back to the form."""
    back = way_back(tracker.active_loop_name)
    dispatcher.utter_message(text=domain["responses"]["utter_help"][0]["text"], buttons=[*back, *menu_buttons(domain)])


def chosen_from_menu(tracker: Tracker, intent: str) -> Optional[str]:
    """Another task's form, when its bare button (the menu's) was pressed inside a form."""
    form = FORMS.get(intent)
    if form and form != tracker.active_loop_name and is_button(tracker) and not tracker.latest_message.get("entities"):
        return form
    return None


class ActionAnswerAside(Action):
    """A service status, a how-to, another task or something off-topic, asked inside a form."""

    def name(self) -> Text:
        return "action_answer_aside"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        intent = intent_of(tracker)
        events: List[Dict[Text, Any]] = []
        chosen = chosen_from_menu(tracker, intent)
        if chosen:
            # The citizen chose another task: this form is given up, what it was told forgotten.
            return [ActiveLoop(None), *reset(*FORM_SLOTS), FollowupAction(chosen)]
        if intent == "help":
            menu_with_way_back(dispatcher, tracker, domain)
            return events
        if intent == "service_status":
            service = entity_value(tracker, "service") or ""
            if await tell_status(dispatcher, tracker, service):
                events = [about("service", service)]
            else:
                say(dispatcher, "aside_which_service", choices=service_buttons())
        elif intent == "how_to":
            events = await ActionHowTo().run(dispatcher, tracker, domain)
        elif intent in ("case_status", "file_complaint"):
            say(dispatcher, "aside_other_task")
        else:  # out_of_scope
            say(dispatcher, "aside_out_of_scope")
        offer_back(dispatcher, tracker)
        return events


class ActionDontHave(Action):
    """«ندارم»: where the asked item is found, or why it is needed, and the offer of a person."""

    def name(self) -> Text:
        return "action_dont_have"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        item = item_asked(tracker)
        reply = REPLIES.render(DONT_HAVE.get(item, "dont_have_other"))
        if tracker.active_loop_name:
            reply["buttons"] = []  # the form's question, asked again next, has the same buttons
        if item == "tracking_code":
            # No code: its cases by national id, where an agency lists them.
            reply["buttons"] = [*search_buttons(tracker.active_loop_name), *reply["buttons"]]
        send(dispatcher, reply)
        return []


class ActionResumeForm(Action):
    """Says nothing: the rules run the form after it, which asks its pending question again."""

    def name(self) -> Text:
        return "action_resume_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        return []
