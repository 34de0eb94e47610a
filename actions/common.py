"""Small pieces every action uses: buttons from the domain, the citizen's text, slot resets."""

from __future__ import annotations

import logging
from typing import Any, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from nlu.logtag import conversation_tag

logger = logging.getLogger("actions")

MENU = "/help"
HUMAN = "/request_human"
IDENTITY_SLOTS = ("national_id", "phone_number", "otp_code", "phone_verified", "identity_verified", "form_abort")


def entity_value(tracker: Tracker, entity: str) -> Optional[str]:
    return next(tracker.get_latest_entity_values(entity), None)


def latest_user_text(tracker: Tracker) -> str:
    """What the citizen typed, as typed (Rasa's parse data holds the normalised text)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return event.get("text") or ""
    return ""


def is_button(tracker: Tracker) -> bool:
    return latest_user_text(tracker).startswith("/")


def reset(*slots: str) -> list[dict[str, Any]]:
    return [SlotSet(slot, None) for slot in slots]


def tag(tracker: Tracker) -> str:
    """Follows one conversation in logs without naming it."""
    return conversation_tag(tracker.sender_id)
