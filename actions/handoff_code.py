"""A handoff code redeemed by the gateway (desk/codes.py): greet with the agent's note, then open
what the agent chose, a guide at its first step, the case lookup or the complaint form.

The forms ask for identity as they always do: a code says what to open, never who the citizen is.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.common import FORM_SLOTS, entity_value, reset
from actions.guides import start_article
from actions.replies import say
from actions.runtime import runtime

FORMS = {"case": "case_status_form", "complaint": "file_complaint_form"}


class ActionHandoffCode(Action):
    def name(self) -> Text:
        return "action_handoff_code"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        kind = entity_value(tracker, "handoff_kind")
        target = entity_value(tracker, "handoff_target")
        note = (entity_value(tracker, "handoff_note") or "").strip()
        # The agent's own words, as plain text inside the greeting.
        if note:
            say(dispatcher, "handoff_note", note=note)
        else:
            say(dispatcher, "handoff_welcome")
        # A fresh start: nothing of a form the citizen was in carries over (identity stays as it is).
        fresh = reset(*FORM_SLOTS)
        if kind in FORMS:
            return [*fresh, FollowupAction(FORMS[kind])]
        article = await runtime().content.article(target) if kind == "guide" and target else None
        if article is None:
            say(dispatcher, "guide_not_found")
            return fresh
        return [*fresh, *start_article(article, dispatcher, domain)]
