"""The identity check every form shares before it acts for a citizen: their national id, a phone
the identity service says is theirs, and a one-time code sent to it (or a contact the messenger
vouches for). What was proved is kept by ``actions.trust``, not in slots.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.aside import asked_but_not_answered
from actions.common import tag
from actions.identity import national_id_ok, read_code, read_entity, read_phone
from actions.otp import OtpResult, OtpStore
from actions.persian_format import waiting_time
from actions.replies import say
from actions.runtime import runtime
from actions.trust import in_group, requester_of
from agencies.client import AgencyUnavailable
from nlu.identifiers import contains_sensitive_number, normalize_phone
from nlu.persian import normalize

logger = logging.getLogger(__name__)

# Why a form stopped early; the stopping action says what to do next.
LOCKED, UNAVAILABLE, SMS_LIMITED, PRIVATE_ONLY = "locked", "identity_unavailable", "sms_limited", "private_only"
# What proves the national id; forgotten whenever another national id is typed.
PROOF_SLOTS = ("phone_number", "otp_code", "phone_verified", "identity_verified")


def slot_before_turn(tracker: Tracker, slot: str) -> Any:
    """The slot's value before the citizen's latest message (validators see the new one)."""
    last_user = max((i for i, e in enumerate(tracker.events) if e.get("event") == "user"), default=len(tracker.events))
    value = None
    for event in tracker.events[:last_user]:
        if event.get("event") == "slot" and event.get("name") == slot:
            value = event.get("value")
        elif event.get("event") in ("session_started", "restart"):
            value = None
    return value


def vouched_phone(tracker: Tracker) -> Optional[str]:
    """A phone the messenger vouches for as the sender's own, in this very message."""
    return normalize_phone(str((tracker.latest_message.get("metadata") or {}).get("verified_phone") or "")) or None


def private_only(dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
    """In a group every member would see the case: the check moves to a private chat."""
    link = str((tracker.latest_message.get("metadata") or {}).get("private_link") or "")
    say(dispatcher, "identity_private_only_link" if link else "identity_private_only", link=link)
    return {"form_abort": PRIVATE_ONLY}


async def send_code(dispatcher: CollectingDispatcher, tracker: Tracker, phone: str, national_id: str) -> Optional[str]:
    """Send a one-time code; None when it went, else why the form stops (already told)."""
    rt = runtime()
    wait = await rt.sms_limits.acquire(tracker, phone)
    if wait:
        logger.info("sms refused by limits conversation=%s wait=%ds", tag(tracker), wait)
        say(dispatcher, "sms_limited", wait=waiting_time(wait))
        return SMS_LIMITED
    store = OtpStore(rt.redis, rt.settings.otp_ttl_seconds, rt.settings.otp_max_wrong)
    code = await store.issue(requester_of(tracker), phone, national_id)
    try:
        await rt.client("sms").send_sms(phone, f"همیار: کد تأیید شما {code} است. این کد را به کسی ندهید.", rt.deadline())
    except AgencyUnavailable:
        logger.warning("sms not sent conversation=%s", tag(tracker))
        return UNAVAILABLE
    return None


def validate_national_id_value(slot_value: Any, dispatcher: CollectingDispatcher) -> Optional[str]:
    national_id = read_entity(slot_value, "national_id")
    if not national_id_ok(national_id):
        if contains_sensitive_number(normalize(str(slot_value))):
            say(dispatcher, "never_card")
        say(dispatcher, "invalid_national_id")
        return None
    return national_id


class IdentityCheck:
    """Mixed into a ``FormValidationAction`` whose form asks national_id, phone_number, otp_code."""

    async def required_slots(
        self, domain_slots: list[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[Text]:
        """The form's slots without the proof steps once this national id is proved."""
        if tracker.get_slot("form_abort"):
            return []
        if await runtime().verified.owns(tracker, tracker.get_slot("national_id")):
            return [s for s in domain_slots if s not in ("phone_number", "otp_code")]
        return domain_slots

    async def extract_national_id(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """The id proved earlier in the session, unless the citizen names one: not asked twice."""
        if tracker.get_slot("national_id") or in_group(tracker):
            return {}
        proof = await runtime().verified.proof(tracker)
        return {"national_id": proof.national_id} if proof else {}

    async def extract_phone_number(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        shared = vouched_phone(tracker)
        if shared and tracker.get_slot("requested_slot") == "phone_number":
            return {"phone_number": shared}
        return {}

    async def validate_national_id(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if asked_but_not_answered(tracker, "national_id", "national_id"):
            return {"national_id": None}
        if in_group(tracker):
            return {"national_id": None, **private_only(dispatcher, tracker)}
        national_id = validate_national_id_value(slot_value, dispatcher)
        if national_id is None:
            return {"national_id": None}
        rt = runtime()
        if await rt.failures.locked(tracker):
            return {"national_id": None, "form_abort": LOCKED}
        if await rt.verified.owns(tracker, national_id):
            return {"national_id": national_id, "identity_verified": True}
        if national_id == slot_before_turn(tracker, "national_id"):
            return {"national_id": national_id}  # the same id again: keep the steps already taken
        # Another national id: its own phone and its own code, whatever was proved before.
        return {"national_id": national_id, **{s: None for s in PROOF_SLOTS}}

    async def validate_phone_number(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if not vouched_phone(tracker) and asked_but_not_answered(tracker, "phone_number", "phone_number"):
            return {"phone_number": None}
        phone = read_phone(slot_value)
        if not phone:
            say(dispatcher, "invalid_phone_number")
            return {"phone_number": None}
        national_id = tracker.get_slot("national_id")
        rt = runtime()
        if not national_id:
            return {"phone_number": None}
        if await rt.verified.owns(tracker, national_id):
            return {"phone_number": phone}
        try:
            match = await rt.client("identity").identity_match(national_id, phone, rt.deadline())
        except AgencyUnavailable:
            logger.warning("identity service unavailable conversation=%s", tag(tracker))
            return {"phone_number": None, "form_abort": UNAVAILABLE}
        if not match:
            logger.info("identity mismatch conversation=%s", tag(tracker))
            if await rt.failures.record(tracker, national_id):
                return {"phone_number": None, "form_abort": LOCKED}
            say(dispatcher, "phone_not_owner")
            return {"phone_number": None, "phone_verified": None}
        if vouched_phone(tracker) == phone:
            await rt.verified.prove(tracker, national_id, phone)
            await rt.failures.clear(tracker)
            return {"phone_number": phone, "phone_verified": True, "identity_verified": True}
        stop = await send_code(dispatcher, tracker, phone, national_id)
        if stop:
            return {"phone_number": None, "form_abort": stop}
        return {"phone_number": phone, "phone_verified": False}

    async def validate_otp_code(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if asked_but_not_answered(tracker, "otp_code"):
            return {"otp_code": None}  # not a wrong code: it counts for no lock
        rt = runtime()
        phone = tracker.get_slot("phone_number") or ""
        national_id = tracker.get_slot("national_id") or ""
        code = read_code(slot_value)
        store = OtpStore(rt.redis, rt.settings.otp_ttl_seconds, rt.settings.otp_max_wrong)
        result = await store.verify(requester_of(tracker), phone, national_id, code) if code else OtpResult.WRONG
        if result is OtpResult.OK:
            await rt.verified.prove(tracker, national_id, phone)
            await rt.failures.clear(tracker)
            # The slot never keeps the code itself.
            return {"otp_code": "verified", "identity_verified": True, "phone_verified": True}
        if result is OtpResult.EXPIRED:
            stop = await send_code(dispatcher, tracker, phone, national_id)
            if stop:
                return {"otp_code": None, "form_abort": stop}
            say(dispatcher, "otp_expired")
            return {"otp_code": None}
        if await rt.failures.record(tracker, national_id):
            return {"otp_code": None, "form_abort": LOCKED}
        say(dispatcher, "wrong_otp_code")
        if result is OtpResult.TOO_MANY:
            stop = await send_code(dispatcher, tracker, phone, national_id)
            if stop:
                return {"otp_code": None, "form_abort": stop}
        return {"otp_code": None}


def say_why_stopped(dispatcher: CollectingDispatcher, abort: Optional[str]) -> None:
    """The stopping action's word for a form that stopped early (some were said already)."""
    if abort == LOCKED:
        say(dispatcher, "identity_locked")
    elif abort == UNAVAILABLE:
        say(dispatcher, "identity_unavailable")
