"""Where a case stands: tracking code, national id, a phone that belongs to it, then the agency.

Knowing a code and a national id is not enough: the phone must match the national id at the
identity service, and a typed phone is confirmed by a one-time SMS code (actions.identity_check).
A case is shown only for the national id the requester proved in this session.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.aside import asked_but_not_answered
from actions.case_by_id import LOOKUP_SLOTS, by_national_id, lookup_steps, only_open_case, valid_lookup_agency
from actions.common import about, reset, tag
from actions.identity import read_entity
from actions.identity_check import PROOF_SLOTS, IdentityCheck, in_group, private_only, say_why_stopped
from actions.persian_format import jalali_datetime, masked_phone
from actions.replies import line, say, say_lines
from actions.runtime import runtime
from agencies.client import AgencyUnavailable, CaseNotFound, NationalIdMismatch
from nlu.identifiers import contains_sensitive_number
from nlu.persian import normalize

logger = logging.getLogger(__name__)


class ValidateCaseStatusForm(IdentityCheck, FormValidationAction):
    def name(self) -> Text:
        return "validate_case_status_form"

    async def required_slots(
        self, domain_slots: list[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[Text]:
        """By its tracking code, or by national id at an agency that lists cases (actions/case_by_id.py)."""
        return lookup_steps(await super().required_slots(domain_slots, dispatcher, tracker, domain), tracker)

    async def validate_lookup_agency(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if asked_but_not_answered(tracker, "lookup_agency", "agency"):
            return {"lookup_agency": None}
        return valid_lookup_agency(slot_value, dispatcher)

    async def validate_tracking_code(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if asked_but_not_answered(tracker, "tracking_code", "tracking_code"):
            return {"tracking_code": None}
        if in_group(tracker):
            return {"tracking_code": None, **private_only(dispatcher, tracker)}
        if contains_sensitive_number(normalize(str(slot_value or ""))):
            say(dispatcher, "never_card")
            return {"tracking_code": None}
        code = read_entity(slot_value, "tracking_code")
        if not code or runtime().catalog.agency_for_code(code) is None:
            say(dispatcher, "invalid_tracking_code")
            return {"tracking_code": None}
        return {"tracking_code": code}


class ActionAskOtpCode(Action):
    def name(self) -> Text:
        return "action_ask_otp_code"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        say(dispatcher, "ask_otp_code", masked_phone=masked_phone(tracker.get_slot("phone_number") or ""))
        return []


class ActionCaseStatus(Action):
    def name(self) -> Text:
        return "action_case_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        # Personal identifiers leave the tracker once the case is answered; what was proved is
        # kept by actions.trust for the rest of the session.
        done = reset("tracking_code", "form_abort", *PROOF_SLOTS, "national_id", *LOOKUP_SLOTS)
        abort = tracker.get_slot("form_abort")
        if abort:
            say_why_stopped(dispatcher, abort)
            return done
        rt = runtime()
        national_id = tracker.get_slot("national_id")
        if not await rt.verified.owns(tracker, national_id):
            # Never reached through the form; a tracker written by hand, or a path not foreseen.
            logger.warning("case refused: identity not proved conversation=%s", tag(tracker))
            say(dispatcher, "identity_not_proved")
            return done
        if by_national_id(tracker):
            # No code: the proved national id's one open case is shown as any case is.
            code = await only_open_case(dispatcher, tracker, national_id)
            if code is None:
                return done
        else:
            code = tracker.get_slot("tracking_code")
        agency = rt.catalog.agency_for_code(code or "")
        if agency is None:
            say(dispatcher, "case_unknown_code")
            return done
        try:
            case = await rt.client(agency.id).case(code, national_id, rt.deadline())
        except CaseNotFound:
            say(dispatcher, "case_unknown_code")
            return done
        except NationalIdMismatch:
            say(dispatcher, "case_id_mismatch")
            return done
        except AgencyUnavailable:
            logger.warning("case lookup failed agency=%s conversation=%s", agency.id, tag(tracker))
            say(dispatcher, "agency_unavailable", agency_name=agency.name)
            return done
        logger.info("case shown agency=%s status=%s conversation=%s", agency.id, case.status, tag(tracker))
        # One message, then «کار دیگری هست؟» with its buttons: two notifications, not four.
        say_lines(
            dispatcher,
            line("case_status", title=case.title, status=case.status_text, last_update=jalali_datetime(case.last_update)),
            *([line("case_next_step", next_step=case.next_step)] if case.next_step else []),
            *([line("case_office", office=case.office)] if case.office else []),
        )
        say(dispatcher, "case_done")
        # Remembered so «خبرم کن» can subscribe to this case; the code is not kept in the form.
        last = SlotSet("last_case", f"{agency.id}:{code}:{case.status}:{case.status_text}")
        return done + [SlotSet("agency", agency.id), last, about("case", agency.id)]
