"""Session start, greeting, goodbye, fallback, routing, repeating and the way to a human."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ActiveLoop, FollowupAction, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.aside import form_left_this_turn, way_back
from actions.common import FORM_SLOTS, IDENTITY_SLOTS, LAST_SUBJECT, entity_value, is_button, latest_user_text, reset
from actions.guides import answer_question, article_buttons
from actions.handover import hand_over, say_marked, second_miss
from actions.replies import say
from actions.resume import offer_unfinished
from actions.runtime import runtime
from nlu.identifiers import contains_sensitive_number
from nlu.persian import normalize

MENU_GUIDES = 3  # guides offered when a service or agency is named alone; more buttons overwhelm


class ActionSessionStart(Action):
    """A new session keeps nothing but the fact that the privacy notice was shown; what was left
    unfinished before is offered (actions/resume.py)."""

    def name(self) -> Text:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        events: List[Dict[Text, Any]] = [SessionStarted()]
        if tracker.get_slot("privacy_notice_shown"):
            events.append(SlotSet("privacy_notice_shown", True))
        else:
            say(dispatcher, "privacy_notice")
            events.append(SlotSet("privacy_notice_shown", True))
        await offer_unfinished(dispatcher, tracker)  # a guide or form left days ago
        events.append(ActionExecuted("action_listen"))
        return events


class ActionGreet(Action):
    def name(self) -> Text:
        return "action_greet"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        # «سلام وقت بخیر… حقوق بازنشستگی»: a greeting that names a case or a service is answered
        # about it, after a short hello, instead of the introduction's open question.
        offer = CollectingDispatcher()
        events = await offer_for_named(offer, tracker)
        if events is None:
            say(dispatcher, "greet")
            return []
        say(dispatcher, "greet_short")
        dispatcher.messages.extend(offer.messages)
        return events


class ActionGoodbye(Action):
    """Saying goodbye ends what Hamyar knows of the citizen's identity."""

    def name(self) -> Text:
        return "action_goodbye"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        say(dispatcher, "goodbye")
        await runtime().verified.forget(tracker)
        return reset(*IDENTITY_SLOTS, *FORM_SLOTS, "article_id", "article_step")


class ActionCancelForm(Action):
    def name(self) -> Text:
        return "action_cancel_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        say(dispatcher, "cancelled")
        return [ActiveLoop(None), *reset(*FORM_SLOTS)]


# Then wait for the citizen. This is also the rules' fallback when none applies (config.yml's
# core_fallback_action_name): without it, nothing applies after it either, so Rasa ran it again
# until its limit of 10 actions a turn, and every later turn of the conversation failed.
LISTEN = FollowupAction("action_listen")


class ActionFallback(Action):
    """Before saying «متوجه نشدم», look in the content: an admin may have just added the topic."""

    def name(self) -> Text:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        text = latest_user_text(tracker)
        if contains_sensitive_number(normalize(text)):
            say(dispatcher, "never_card")
        if text and not is_button(tracker):
            events = await answer_question(text, dispatcher, domain, strict=True)
            if events is not None:
                return events if any(e.get("event") == "followup" for e in events) else [*events, LISTEN]
        if second_miss(tracker):
            say_marked(dispatcher, "not_understood_again")
            hand_over(dispatcher, tracker, "misunderstood")
            return [LISTEN]
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        say_marked(dispatcher, "out_of_scope" if intent == "out_of_scope" else "not_understood")
        return [LISTEN]


class ActionFormNotUnderstood(Action):
    """Inside a form, a message that is not understood: the form asks again, or, the second time
    in a row, the form ends and the conversation goes to a person."""

    def name(self) -> Text:
        return "action_form_not_understood"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        if not second_miss(tracker):
            say_marked(dispatcher, "form_not_understood")
            return []  # the rule runs the form again, which asks its question
        say_marked(dispatcher, "not_understood_again")
        hand_over(dispatcher, tracker, "misunderstood")
        # Instead of the rule's next step (the form asking again): the form ends, and Hamyar listens.
        return [ActiveLoop(None), SlotSet("requested_slot", None), LISTEN]


class ActionHandback(Action):
    """An agent handed the conversation back (the gateway's internal ``/handback``): the citizen
    is told the bot is back. The agent's note stays with the desk."""

    def name(self) -> Text:
        return "action_handback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        # A form left for the person is offered again, with what was given («ادامه پیگیری پرونده»).
        say(dispatcher, "handback", choices=way_back(tracker.get_slot("paused_form")))
        return [SlotSet("paused_form", None)]


async def offer_for_named(dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[List[Dict[Text, Any]]]:
    """What to do about the code, service or agency the message names; None when it names none.

    A tracking code or a national id starts a case lookup (which keeps it and asks for the rest).
    «گذرنامه» or «تأمین اجتماعی» alone may mean how to do something, whether a site works or a
    case: ask, with its guides as buttons."""
    if entity_value(tracker, "tracking_code") or entity_value(tracker, "national_id"):
        return [FollowupAction("case_status_form")]
    catalog, articles = runtime().catalog, (await runtime().content.index()).articles
    service = catalog.service(entity_value(tracker, "service") or "")
    if service is not None:
        guides = [a for a in articles if a.service == service.id]
        say(
            dispatcher,
            "service_menu",
            choices=article_buttons(guides[:MENU_GUIDES]),
            service_name=service.name,
            entities=json.dumps({"service": service.id, "agency": service.agency_id}),
        )
        return []
    agency = catalog.agency(entity_value(tracker, "agency") or "")
    if agency is not None:
        guides = [a for a in articles if a.agency == agency.id]
        say(
            dispatcher,
            "agency_menu",
            choices=article_buttons(guides[:MENU_GUIDES]),
            agency_name=agency.name,
            entities=json.dumps({"agency": agency.id}),
        )
        return []
    return None


class ActionRouteInform(Action):
    """A bare code or name with no question: a code starts a case lookup, a service or agency
    name offers what can be done about it."""

    def name(self) -> Text:
        return "action_route_inform"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        if contains_sensitive_number(normalize(latest_user_text(tracker))):
            say(dispatcher, "never_card")
            dispatcher.utter_message(response="utter_help")  # the menu lives in the domain, for rules
            return []
        events = await offer_for_named(dispatcher, tracker)
        if events is None:
            dispatcher.utter_message(response="utter_help")  # the menu lives in the domain, for rules
            return []
        return events


class ActionRepeat(Action):
    """«دوباره بگو»: the bot's last answer again, buttons included (inside a form too)."""

    def name(self) -> Text:
        return "action_repeat"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        users_seen = 0
        answer: list[dict] = []
        for event in reversed(tracker.events):
            kind = event.get("event")
            if kind == "user":
                users_seen += 1
                if users_seen == 2:
                    break
            elif kind == "bot" and users_seen == 1:
                answer.append(event)
        if tracker.active_loop_name:
            # Inside a form the last message was its question, which the form asks again next.
            answer = answer[1:]
        elif not answer:
            say(dispatcher, "nothing_to_repeat")
            return []
        for event in reversed(answer):
            data = event.get("data") or {}
            dispatcher.utter_message(text=event.get("text"), buttons=data.get("buttons") or [])
        return []


class ActionStartOver(Action):
    """«از اول»: whatever was under way is given up (identity stays for the session); the menu."""

    def name(self) -> Text:
        return "action_start_over"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        say(dispatcher, "start_over")
        return [ActiveLoop(None), *reset(*FORM_SLOTS, "article_id", "article_step", LAST_SUBJECT)]


class ActionRequestHuman(Action):
    """A person: the gateway queues the conversation at the desk, or offers a call-back, and the
    call centre's number (from configuration) is the answer when neither can be."""

    def name(self) -> Text:
        return "action_request_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        hand_over(dispatcher, tracker, "request_human")
        left = form_left_this_turn(tracker)
        return [SlotSet("paused_form", left)] if left else []
