"""«خبرم کن»: tell me when the case I just looked at changes."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import tag
from actions.replies import say
from actions.runtime import runtime
from notifications.store import SubscriptionStore

logger = logging.getLogger(__name__)


class ActionSubscribeCase(Action):
    def name(self) -> Text:
        return "action_subscribe_case"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        last_case = tracker.get_slot("last_case") or ""
        agency_id, _, code = last_case.partition(":")
        agency = runtime().catalog.agency(agency_id)
        if agency is None or not code:
            say(dispatcher, "subscribe_nothing")
            return []
        await SubscriptionStore(runtime().redis).subscribe(tracker.sender_id, agency.id, code)
        logger.info("case subscription agency=%s conversation=%s", agency.id, tag(tracker))
        say(dispatcher, "subscribed")
        return []
