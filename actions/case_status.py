"""Where a case stands: tracking code, national id, a phone that belongs to it, then the agency.

Knowing a code and a national id is not enough: the phone must match the national id at the
identity service, and a typed phone is confirmed by a one-time SMS code.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.agency.client import AgencyUnavailable, CaseNotFound, NationalIdMismatch
from actions.common import reset, tag
from actions.identity import national_id_ok, read_code, read_entity, read_phone
from actions.otp import IdentityFailures, OtpResult, OtpStore
from actions.persian_format import jalali_datetime, masked_phone
from actions.replies import say
from actions.runtime import runtime
from nlu.identifiers import contains_sensitive_number, normalize_phone
from nlu.persian import normalize

logger = logging.getLogger(__name__)
LOCKED, UNAVAILABLE = "locked", "identity_unavailable"


def _otp() -> OtpStore:
    rt = runtime()
    return OtpStore(rt.redis, rt.settings.otp_ttl_seconds, rt.settings.otp_max_wrong)


def _failures() -> IdentityFailures:
    rt = runtime()
    return IdentityFailures(rt.redis, rt.settings.identity_max_failures, rt.settings.identity_lock_seconds)


async def send_code(tracker: Tracker, phone: str) -> bool:
    """Issue a one-time code and send it by SMS; False when the SMS service fails."""
    rt = runtime()
    code = await _otp().issue(tracker.sender_id, phone)
    try:
        await rt.client("sms").send_sms(phone, f"همیار: کد تأیید شما {code} است. این کد را به کسی ندهید.", rt.deadline())
    except AgencyUnavailable:
        logger.warning("sms not sent conversation=%s", tag(tracker))
        return False
    return True


def validate_national_id_value(slot_value: Any, dispatcher: CollectingDispatcher) -> Optional[str]:
    """Shared by every form that asks for a national id."""
    national_id = read_entity(slot_value, "national_id")
    if not national_id_ok(national_id):
        if contains_sensitive_number(normalize(str(slot_value))):
            say(dispatcher, "never_card")
        say(dispatcher, "invalid_national_id")
        return None
    return national_id


class ValidateCaseStatusForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_case_status_form"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Text]:
        if tracker.get_slot("form_abort"):
            return []
        if tracker.get_slot("identity_verified"):
            return [s for s in domain_slots if s != "otp_code"]
        return domain_slots

    async def extract_phone_number(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        # A contact the messenger says is the sender's own is trusted without a code.
        shared = normalize_phone(str((tracker.latest_message.get("metadata") or {}).get("verified_phone") or ""))
        if shared and tracker.get_slot("requested_slot") == "phone_number":
            return {"phone_number": shared, "phone_verified": True}
        return {}

    async def validate_tracking_code(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if contains_sensitive_number(normalize(str(slot_value or ""))):
            say(dispatcher, "never_card")
            return {"tracking_code": None}
        code = read_entity(slot_value, "tracking_code")
        if not code or runtime().catalog.agency_for_code(code) is None:
            say(dispatcher, "invalid_tracking_code")
            return {"tracking_code": None}
        return {"tracking_code": code}

    async def validate_national_id(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        national_id = validate_national_id_value(slot_value, dispatcher)
        if national_id is None:
            return {"national_id": None}
        if await _failures().locked(national_id):
            return {"national_id": national_id, "form_abort": LOCKED}
        if national_id != tracker.get_slot("national_id") and tracker.get_slot("identity_verified"):
            # Another person's id: their phone must be checked again.
            return {"national_id": national_id, **{s: None for s in ("phone_number", "otp_code", "phone_verified", "identity_verified")}}
        return {"national_id": national_id}

    async def validate_phone_number(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        phone = read_phone(slot_value)
        if not phone:
            say(dispatcher, "invalid_phone_number")
            return {"phone_number": None}
        national_id = tracker.get_slot("national_id")
        if tracker.get_slot("identity_verified"):
            return {"phone_number": phone}
        rt = runtime()
        try:
            match = await rt.client("identity").identity_match(national_id, phone, rt.deadline())
        except AgencyUnavailable:
            logger.warning("identity service unavailable conversation=%s", tag(tracker))
            return {"phone_number": None, "form_abort": UNAVAILABLE}
        if not match:
            logger.info("identity mismatch conversation=%s", tag(tracker))
            if await _failures().record(national_id):
                return {"phone_number": None, "form_abort": LOCKED}
            say(dispatcher, "phone_not_owner")
            return {"phone_number": None, "phone_verified": None}
        if tracker.get_slot("phone_verified"):
            return {"phone_number": phone, "identity_verified": True}
        if not await send_code(tracker, phone):
            return {"phone_number": None, "form_abort": UNAVAILABLE}
        return {"phone_number": phone, "phone_verified": False}

    async def validate_otp_code(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        phone = tracker.get_slot("phone_number") or ""
        national_id = tracker.get_slot("national_id") or ""
        code = read_code(slot_value)
        result = await _otp().verify(tracker.sender_id, phone, code) if code else OtpResult.WRONG
        if result is OtpResult.OK:
            await _failures().clear(national_id)
            # The slot never keeps the code itself.
            return {"otp_code": "verified", "identity_verified": True, "phone_verified": True}
        if result is OtpResult.EXPIRED:
            say(dispatcher, "otp_expired")
            if not await send_code(tracker, phone):
                return {"otp_code": None, "form_abort": UNAVAILABLE}
            return {"otp_code": None}
        if await _failures().record(national_id):
            return {"otp_code": None, "form_abort": LOCKED}
        say(dispatcher, "wrong_otp_code")
        if result is OtpResult.TOO_MANY and not await send_code(tracker, phone):
            return {"otp_code": None, "form_abort": UNAVAILABLE}
        return {"otp_code": None}


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
        done = reset("tracking_code", "otp_code", "form_abort")
        abort = tracker.get_slot("form_abort")
        if abort == LOCKED:
            say(dispatcher, "identity_locked")
            return done + reset("national_id", "phone_number", "phone_verified", "identity_verified")
        if abort or not tracker.get_slot("identity_verified"):
            say(dispatcher, "identity_unavailable")
            return done
        rt = runtime()
        code = tracker.get_slot("tracking_code")
        agency = rt.catalog.agency_for_code(code or "")
        if agency is None:
            say(dispatcher, "case_unknown_code")
            return done
        try:
            case = await rt.client(agency.id).case(code, tracker.get_slot("national_id"), rt.deadline())
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
        say(dispatcher, "case_status", title=case.title, status=case.status_text, last_update=jalali_datetime(case.last_update))
        if case.next_step:
            say(dispatcher, "case_next_step", next_step=case.next_step)
        if case.office:
            say(dispatcher, "case_office", office=case.office)
        say(dispatcher, "case_done")
        # Remembered so «خبرم کن» can subscribe to this case; the code is not kept in the form.
        return done + [SlotSet("agency", agency.id), SlotSet("last_case", f"{agency.id}:{code}:{case.status_text}")]
