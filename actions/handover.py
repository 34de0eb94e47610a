"""Handing a conversation to a person: the actions only say so, with a custom payload the gateway
acts on (desk/divert.py), ``{"handoff": {"reason": ..., "agency": ...}}``; actions/ never imports
the desk. The message carrying it is the call centre's number, which the citizen keeps when the
desk cannot take them (closed, full, or a channel it cannot write to later).

Two misunderstandings in a row hand over: each «متوجه نشدم» carries a ``misunderstood`` mark,
and the tracker's events say how many turns in a row were answered so.
"""

from __future__ import annotations

from typing import Any, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import entity_value, last_case
from actions.replies import REPLIES, send
from actions.runtime import runtime
from agencies.catalog import Agency
from nlu.persian import persian_digits

MISUNDERSTOOD = "misunderstood"
GENERAL = "general"


def say_marked(dispatcher: CollectingDispatcher, key: str) -> None:
    """A «متوجه نشدم» reply, marked so that the next turn can count it."""
    reply = REPLIES.render(key)
    send(dispatcher, {**reply, "custom": {**reply["custom"], MISUNDERSTOOD: True}})


def misses_before(tracker: Tracker) -> int:
    """Turns in a row, ending with the one before this, whose answer was marked misunderstood."""
    count, missed, current = 0, False, True
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "session_started":
            break
        if kind == "user":
            if current:
                current = False
                continue
            if not missed:
                break
            count, missed = count + 1, False
        elif kind == "bot" and not current:
            custom = (event.get("data") or {}).get("custom")
            missed = missed or (isinstance(custom, dict) and bool(custom.get(MISUNDERSTOOD)))
    return count


def second_miss(tracker: Tracker) -> bool:
    """This turn is a misunderstanding that makes two in a row (then four, ...: after going back
    to the bot, another two)."""
    return (misses_before(tracker) + 1) % 2 == 0


def agency_of(tracker: Tracker) -> Optional[Agency]:
    """The agency the conversation is about: named now, in a form, or by a tracking code."""
    catalog = runtime().catalog
    agency = None
    for candidate in (entity_value(tracker, "agency"), tracker.get_slot("complaint_agency"), tracker.get_slot("agency")):
        agency = agency or (catalog.agency(candidate) if candidate else None)
    code = tracker.get_slot("tracking_code")
    if agency is None and code:
        agency = catalog.agency_for_code(code)
    return agency


def hand_over(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str, agency: Optional[Agency] = None) -> None:
    """The call centre's number (the agency's, or the general one), carrying the handoff signal."""
    agency = agency or agency_of(tracker)
    if agency is not None:
        reply = REPLIES.render("request_human", agency_name=agency.name, phone=persian_digits(agency.call_centre))
    else:
        reply = REPLIES.render("request_human_general", phone=persian_digits(runtime().catalog.general_call_centre))
    signal: dict[str, Any] = {"reason": reason, "agency": agency.id if agency is not None else GENERAL}
    case_agency, code, status, _ = last_case(tracker)
    if code:
        # For the desk's priority rules: contacts about one case, a case waiting on the citizen.
        signal["case"] = f"{case_agency}:{code}"
        signal["waiting_on_citizen"] = status == "waiting_for_citizen"
    send(dispatcher, {**reply, "custom": {**reply["custom"], "handoff": signal}})
