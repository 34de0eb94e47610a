"""«خبرم کن»: tell me when the case I just looked at changes; «دیگر خبر نده»: stop."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import last_case, tag
from actions.replies import say
from actions.runtime import runtime
from agencies.subscriptions import SubscriptionStore

logger = logging.getLogger(__name__)


class ActionSubscribeCase(Action):
    def name(self) -> Text:
        return "action_subscribe_case"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        agency_id, code, _, status_text = last_case(tracker)
        agency = runtime().catalog.agency(agency_id)
        # The id proved for this case: it left the tracker when the case was shown.
        proof = await runtime().verified.proof(tracker)
        national_id = proof.national_id if proof else None
        if agency is None or not code or not national_id:
            say(dispatcher, "subscribe_nothing")
            return []
        store = SubscriptionStore(runtime().redis)
        await store.subscribe(tracker.sender_id, agency.id, code)
        if agency.case_updates == "polling":
            await store.watch(agency.id, code, national_id, status_text)
        logger.info("case subscription agency=%s conversation=%s", agency.id, tag(tracker))
        say(dispatcher, "subscribed")
        return []


class ActionUnsubscribe(Action):
    """Stops case news and announcements to this conversation."""

    def name(self) -> Text:
        return "action_unsubscribe"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        stopped = await SubscriptionStore(runtime().redis).unsubscribe(tracker.sender_id)
        logger.info("unsubscribed stopped=%s conversation=%s", stopped, tag(tracker))
        say(dispatcher, "unsubscribed" if stopped else "unsubscribe_nothing")
        return []
