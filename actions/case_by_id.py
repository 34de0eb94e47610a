"""A case found by national id, for a citizen who has no tracking code, where an agency's
contract lists a national id's open cases (``case_search`` in config/agencies.yml).

It is the case lookup's own form (case_status_form) on another path: «جستجو با کد ملی» sets
``case_lookup``, and the form asks which agency instead of the tracking code, then the same
identity check. action_case_status lists the cases only for the national id proved in this
session; one case is shown as a case looked up by its code is, several are offered as buttons.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import tag
from actions.persian_format import jalali_date
from actions.replies import buttons, say
from actions.runtime import runtime
from agencies.catalog import Agency
from agencies.client import AgencyUnavailable, CaseSearchNotOffered
from agencies.models import CaseSummary
from nlu.persian import persian_digits
from nlu.writing import MAX_BUTTON_CHARS, fit

logger = logging.getLogger(__name__)

BY_NATIONAL_ID = "national_id"  # the value of case_lookup that «جستجو با کد ملی» sends
LOOKUP_SLOTS = ("case_lookup", "lookup_agency")
# Choices offered at once (shared/PERSIAN.md: 2–4); the newest cases first.
MAX_LISTED = 4


def search_agencies() -> tuple[Agency, ...]:
    return runtime().catalog.case_search_agencies()


def by_national_id(tracker: Tracker) -> bool:
    """The lookup goes by national id: its button was pressed, and an agency still offers it."""
    return tracker.get_slot("case_lookup") == BY_NATIONAL_ID and bool(search_agencies())


def lookup_steps(slots: List[Text], tracker: Tracker) -> List[Text]:
    """The form's questions on its path: by national id the agency stands for the tracking code."""
    if by_national_id(tracker):
        return [s for s in slots if s != "tracking_code"]
    return [s for s in slots if s not in LOOKUP_SLOTS]


def search_buttons(form: Optional[str]) -> list[dict]:
    """«جستجو با کد ملی», where an agency offers it and the case lookup can take it (no form, or
    the lookup itself; another form would read the button as another task)."""
    if form not in (None, "case_status_form") or not search_agencies():
        return []
    return buttons("case_search_button")


def valid_lookup_agency(slot_value: Any, dispatcher: CollectingDispatcher) -> Dict[Text, Any]:
    if any(a.id == slot_value for a in search_agencies()):
        # The search's button, pressed at the code's question, was taken as a code by the
        # form's text mapping: no code on this path.
        return {"lookup_agency": slot_value, "tracking_code": None}
    say(dispatcher, "lookup_agency_not_offered")
    return {"lookup_agency": None}


class ActionAskLookupAgency(Action):
    """Which agency to search: only those whose contract lists cases by national id."""

    def name(self) -> Text:
        return "action_ask_lookup_agency"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        choices = [{"title": a.name, "payload": "/inform" + json.dumps({"agency": a.id})} for a in search_agencies()]
        say(dispatcher, "ask_lookup_agency", choices=choices)
        return []


def case_choice(number: int, case: CaseSummary) -> dict:
    title = fit(f"{persian_digits(str(number))}. {case.title}", MAX_BUTTON_CHARS)
    return {"title": title, "payload": "/case_status" + json.dumps({"tracking_code": case.tracking_code})}


async def only_open_case(dispatcher: CollectingDispatcher, tracker: Tracker, national_id: str) -> Optional[str]:
    """The tracking code of the proved national id's one open case at the chosen agency, to be
    shown as any case is; else None, when the cases are offered as buttons, none was found or
    the agency did not answer (all said here). Call only once the national id is proved."""
    rt = runtime()
    agency = rt.catalog.agency(tracker.get_slot("lookup_agency") or "")
    if agency is None or not agency.case_search:
        say(dispatcher, "lookup_agency_not_offered")
        return None
    try:
        cases = await rt.client(agency.id).open_cases(national_id, rt.deadline())
    except (AgencyUnavailable, CaseSearchNotOffered) as error:
        # Not offered although configured: the catalogue and the agency disagree; logged as such.
        log = logger.error if isinstance(error, CaseSearchNotOffered) else logger.warning
        log("case search failed agency=%s error=%s conversation=%s", agency.id, type(error).__name__, tag(tracker))
        say(dispatcher, "agency_unavailable", agency_name=agency.name)
        return None
    logger.info("case search agency=%s found=%d conversation=%s", agency.id, len(cases), tag(tracker))
    if not cases:
        say(dispatcher, "case_search_none", agency_name=agency.name)
        return None
    if len(cases) == 1:
        return cases[0].tracking_code
    listed = sorted(cases, key=lambda c: c.last_update, reverse=True)[:MAX_LISTED]
    lines = "\n".join(f"{persian_digits(str(n))}. {c.title}، {jalali_date(c.last_update)}" for n, c in enumerate(listed, 1))
    choices = [case_choice(n, c) for n, c in enumerate(listed, 1)]
    say(dispatcher, "case_search_found", choices=choices, agency_name=agency.name, cases=lines)
    return None
