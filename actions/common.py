"""Small pieces every action uses: buttons from the domain, the citizen's text, slot resets."""

from __future__ import annotations

import logging
from typing import Any, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from nlu.logtag import conversation_tag

# A case's statuses, as agencies/models.py's Case has them.
CASE_STATUSES = frozenset({"received", "in_progress", "waiting_for_citizen", "approved", "rejected", "completed"})

logger = logging.getLogger("actions")

MENU = "/help"
HUMAN = "/request_human"
IDENTITY_SLOTS = ("national_id", "phone_number", "otp_code", "phone_verified", "identity_verified", "form_abort")
# What a form leaves behind when it is given up (identity is kept for the session).
FORM_SLOTS = (
    "tracking_code",
    "case_lookup",
    "lookup_agency",
    "otp_code",
    "service",
    "agency",
    "complaint_agency",
    "complaint_text",
    "complaint_confirmed",
    "form_abort",
    "requested_slot",
    "last_case",
    "paused_form",
)


def entity_value(tracker: Tracker, entity: str) -> Optional[str]:
    return next(tracker.get_latest_entity_values(entity), None)


def last_case(tracker: Tracker) -> tuple[str, str, str, str]:
    """The case last shown: agency id, tracking code, status and status text ("" when none).
    Written by action_case_status as ``agency:code:status:status text``; a value from before the
    status was kept (``agency:code:status text``) reads with no status."""
    parts = (tracker.get_slot("last_case") or "").split(":", 3)
    if len(parts) == 4 and parts[2] in CASE_STATUSES:
        return parts[0], parts[1], parts[2], parts[3]
    parts = (tracker.get_slot("last_case") or "").split(":", 2) + ["", "", ""]
    return parts[0], parts[1], "", parts[2]


def latest_user_text(tracker: Tracker) -> str:
    """What the citizen typed, as typed (Rasa's parse data holds the normalised text)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return event.get("text") or ""
    return ""


def is_button(tracker: Tracker) -> bool:
    return latest_user_text(tracker).startswith("/")


LAST_SUBJECT = "last_subject"


def about(kind: str, value: str) -> dict[str, Any]:
    """The ``last_subject`` an answer sets ("service:passport"): a follow-up question is about it
    (actions/follow_up.py)."""
    return SlotSet(LAST_SUBJECT, f"{kind}:{value}")


def menu_buttons(domain: dict) -> list[dict]:
    """The main menu's buttons: the domain's utter_help, which the rules also send."""
    return [dict(b) for b in domain["responses"]["utter_help"][0].get("buttons", [])]


def reset(*slots: str) -> list[dict[str, Any]]:
    return [SlotSet(slot, None) for slot in slots]


def tag(tracker: Tracker) -> str:
    """Follows one conversation in logs without naming it."""
    return conversation_tag(tracker.sender_id)
