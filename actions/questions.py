"""The questions forms ask that need nothing filled in: one reply each, from bot/replies.yml."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.replies import say


class _Question(Action, metaclass=ABCMeta):
    """Abstract, so rasa-sdk registers only the concrete questions."""

    @property
    @abstractmethod
    def slot(self) -> str: ...

    def name(self) -> Text:
        return f"action_ask_{self.slot}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        say(dispatcher, f"ask_{self.slot}")
        return []


class AskTrackingCode(_Question):
    slot = "tracking_code"


class AskNationalId(_Question):
    slot = "national_id"


class AskPhoneNumber(_Question):
    slot = "phone_number"


class AskComplaintText(_Question):
    slot = "complaint_text"
