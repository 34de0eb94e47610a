"""Filing a complaint: agency, what happened, national id and phone, read back, then filed."""

from __future__ import annotations

import hashlib
import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.aside import asked_but_not_answered
from actions.common import about, latest_user_text, reset, tag
from actions.handover import hand_over
from actions.identity_check import PROOF_SLOTS, IdentityCheck, say_why_stopped
from actions.persian_format import masked_national_id, masked_phone
from actions.replies import say
from actions.runtime import runtime
from agencies.client import AgencyUnavailable
from agencies.handoff_rules import complaint_rule, load_handoff_rules
from agencies.models import ComplaintRequest
from nlu.identifiers import contains_sensitive_number
from nlu.persian import normalize, persian_digits

logger = logging.getLogger(__name__)
COMPLAINT_SLOTS = ("complaint_agency", "complaint_text", "complaint_confirmed")
MIN_CHARS = 10
# A complaint often reads like a status question or a case («سامانه کار نمی‌کند…»): only these
# intents are a question of their own while the complaint's text is asked.
ASIDE_IN_TEXT = frozenset({"dont_have", "how_to", "next_step", "previous_step", "repeat_message"})


def idempotency_key(sender_id: str, agency: str, text: str, national_id: str, phone: str) -> str:
    """The same complaint confirmed twice is filed once."""
    return hashlib.sha256("\x1f".join((sender_id, agency, text, national_id, phone)).encode()).hexdigest()[:40]


class ValidateFileComplaintForm(IdentityCheck, FormValidationAction):
    """A complaint is filed in a citizen's name only after the same identity check as a case."""

    def name(self) -> Text:
        return "validate_file_complaint_form"

    async def validate_complaint_agency(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return {"complaint_agency": slot_value if runtime().catalog.agency(str(slot_value)) else None}

    async def validate_complaint_text(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if asked_but_not_answered(tracker, "complaint_text", questions=ASIDE_IN_TEXT):
            return {"complaint_text": None}
        text = latest_user_text(tracker).strip() or str(slot_value or "").strip()
        limit = runtime().settings.complaint_max_chars
        if contains_sensitive_number(normalize(text)):
            say(dispatcher, "never_card")
            return {"complaint_text": None}
        if len(normalize(text)) < MIN_CHARS:
            say(dispatcher, "complaint_too_short")
            return {"complaint_text": None}
        if len(text) > limit:
            say(dispatcher, "complaint_too_long", limit=persian_digits(limit))
            return {"complaint_text": None}
        return {"complaint_text": text}


class ActionAskComplaintAgency(Action):
    def name(self) -> Text:
        return "action_ask_complaint_agency"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        buttons = [{"title": a.name, "payload": f'/inform{{"agency":"{a.id}"}}'} for a in runtime().catalog.agencies]
        say(dispatcher, "ask_complaint_agency", choices=buttons)
        return []


class ActionAskComplaintConfirmed(Action):
    """Reads everything back before filing, so a mistake is caught by the citizen."""

    def name(self) -> Text:
        return "action_ask_complaint_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        rt = runtime()
        agency = rt.catalog.agency(tracker.get_slot("complaint_agency") or "")
        proof = await rt.verified.proof(tracker)
        # Masked: the read-back is kept with the turn's replies (dedup, web history).
        say(
            dispatcher,
            "ask_complaint_confirmed",
            agency_name=agency.name if agency else "",
            complaint_text=tracker.get_slot("complaint_text"),
            national_id=masked_national_id(proof.national_id if proof else ""),
            phone=masked_phone(proof.phone if proof else ""),
        )
        return []


class ActionFileComplaint(Action):
    def name(self) -> Text:
        return "action_file_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        done = reset(*COMPLAINT_SLOTS, "form_abort", *PROOF_SLOTS, "national_id")
        abort = tracker.get_slot("form_abort")
        if abort:
            say_why_stopped(dispatcher, abort)
            return done
        if tracker.get_slot("complaint_confirmed") is not True:
            say(dispatcher, "complaint_cancelled")
            return done
        rt = runtime()
        proof = await rt.verified.proof(tracker)
        if proof is None or proof.national_id != tracker.get_slot("national_id"):
            logger.warning("complaint refused: identity not proved conversation=%s", tag(tracker))
            say(dispatcher, "identity_not_proved")
            return done
        if not await rt.complaint_quota.take(tracker):
            logger.info("complaint refused: over the hourly limit conversation=%s", tag(tracker))
            say(dispatcher, "complaint_limited")
            return done
        agency = rt.catalog.agency(tracker.get_slot("complaint_agency") or "")
        if agency is None:  # the catalogue changed under the form
            say(dispatcher, "complaint_cancelled")
            return done
        request = ComplaintRequest(national_id=proof.national_id, phone=proof.phone, text=tracker.get_slot("complaint_text"))
        key = idempotency_key(tracker.sender_id, agency.id, request.text, request.national_id, request.phone)
        try:
            created = await rt.client(agency.id).file_complaint(request, key, rt.deadline())
        except AgencyUnavailable:
            logger.warning("complaint not filed agency=%s conversation=%s", agency.id, tag(tracker))
            say(dispatcher, "complaint_failed", agency_name=agency.name)
            return done
        logger.info("complaint filed agency=%s conversation=%s", agency.id, tag(tracker))
        say(dispatcher, "complaint_filed", tracking_code=persian_digits(created.tracking_code))
        if complaint_rule(load_handoff_rules(), agency.id) is not None:
            # config/desk.yml's handoff_rules: complaints about this agency go to a person too.
            say(dispatcher, "complaint_to_person")
            hand_over(dispatcher, tracker, "complaint", agency)
        return [*done, about("complaint", persian_digits(created.tracking_code))]
