"""Second thoughts inside a form: «برگرد» asks the question before again, «اشتباه زدم» the
answer just given. What else was given is kept. («ولش کن» is deny: the form is given up.)

A correction that carries the right value («ببخشید اشتباه زدم، کدم … است») never gets here: the
form takes the value from the message's entity and validates it like any answer.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.common import FORM_SLOTS, entity_value, is_button, reset
from actions.general import ActionRouteInform
from actions.guides import ActionGuidePrevious
from actions.identity_check import PROOF_SLOTS
from actions.replies import say

# Never asked again on their own: an SMS code is not something the citizen gave.
NOT_REDONE = frozenset({"otp_code"})
# Asking a slot again forgets what was built on it.
BUILT_ON = {
    "national_id": PROOF_SLOTS,
    "phone_number": ("otp_code", "phone_verified"),
    "agency": ("service",),
}
IDENTITY = frozenset({"national_id", "phone_number"})
# A correction naming one of these, after a form, is taken like the bare value (action_route_inform).
CORRECTED = ("tracking_code", "national_id", "phone_number", "service", "agency")


def slot_before(required: Sequence[str], requested: Optional[str], values: Mapping[str, Any], proved: bool) -> Optional[str]:
    """The question before the pending one that was answered (identity, once proved, stays)."""
    end = required.index(requested) if requested in required else len(required)
    for slot in reversed(required[:end]):
        if slot in NOT_REDONE or (proved and slot in IDENTITY):
            continue
        if values.get(slot) is not None:
            return slot
    return None


def answered_last_turn(events: Sequence[Mapping[str, Any]], slot: str) -> bool:
    """The citizen's message before this one gave ``slot`` a value (it was not refused)."""
    users = [i for i, e in enumerate(events) if e.get("event") == "user"]
    if len(users) < 2:
        return False
    return any(
        e.get("event") == "slot" and e.get("name") == slot and e.get("value") is not None
        for e in events[users[-2] + 1 : users[-1]]
    )


def forget(slot: str) -> List[Dict[Text, Any]]:
    return reset(slot, *BUILT_ON.get(slot, ()))


class ActionFormBack(Action):
    """«برگرد» (previous_step) and «اشتباه زدم» (correct), inside a form or after it."""

    def name(self) -> Text:
        return "action_form_back"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        form = tracker.active_loop_name
        intent = str((tracker.latest_message.get("intent") or {}).get("name") or "")
        if intent == "previous_step" and is_button(tracker):
            return await ActionGuidePrevious().run(dispatcher, tracker, domain)  # a guide's own button
        if not form:
            if any(entity_value(tracker, e) for e in CORRECTED):
                return await ActionRouteInform().run(dispatcher, tracker, domain)
            say(dispatcher, "correct_outside_form")
            return []
        required = list((domain.get("forms") or {}).get(form, {}).get("required_slots") or [])
        requested = tracker.get_slot("requested_slot")
        values = {slot: tracker.get_slot(slot) for slot in required}
        previous = slot_before(required, requested, values, bool(tracker.get_slot("identity_verified")))
        if intent == "correct":
            say(dispatcher, "correct_again")
            # An answer refused a moment ago is asked again as it is; one taken is forgotten.
            return forget(previous) if previous and answered_last_turn(tracker.events, previous) else []
        if previous is None:
            # Back from the first question: out of the form, to the menu.
            say(dispatcher, "back_out_of_form")
            return [ActiveLoop(None), *reset(*FORM_SLOTS), FollowupAction("action_listen")]
        say(dispatcher, "back_one_step")
        return forget(previous)
