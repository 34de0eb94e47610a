"""Whether a government service works right now, named back to the citizen."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import about, reset, tag
from actions.persian_format import optional_datetime
from actions.replies import line, say, say_lines
from actions.runtime import runtime
from agencies.client import AgencyUnavailable, UnknownService

logger = logging.getLogger(__name__)


def agency_choices() -> list[dict]:
    return [{"title": a.name, "payload": f'/inform{{"agency":"{a.id}"}}'} for a in runtime().catalog.agencies]


class ValidateServiceStatusForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_service_status_form"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Text]:
        # Naming the service is enough; the agency is asked only to narrow the choice.
        if tracker.get_slot("service"):
            return ["service"]
        return domain_slots

    async def validate_agency(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return {"agency": slot_value if runtime().catalog.agency(str(slot_value)) else None}

    async def validate_service(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        service = runtime().catalog.service(str(slot_value))
        if service is None:
            return {"service": None}
        return {"service": service.id, "agency": service.agency_id}


class ActionAskAgency(Action):
    def name(self) -> Text:
        return "action_ask_agency"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        say(dispatcher, "ask_agency_for_service", choices=agency_choices())
        return []


class ActionAskService(Action):
    def name(self) -> Text:
        return "action_ask_service"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        agency = runtime().catalog.agency(tracker.get_slot("agency") or "")
        if agency is None:
            say(dispatcher, "ask_agency_for_service", choices=agency_choices())
            return []
        buttons = [{"title": s.name, "payload": f'/inform{{"service":"{s.id}"}}'} for s in agency.services]
        say(dispatcher, "ask_service_of_agency", choices=buttons, agency_name=agency.name)
        return []


async def tell_status(dispatcher: CollectingDispatcher, tracker: Tracker, service_id: str) -> bool:
    """Say whether the service works now; False when the service is not known."""
    rt = runtime()
    service = rt.catalog.service(service_id)
    agency = rt.catalog.agency(service.agency_id) if service else None
    if service is None or agency is None:  # agency None: a service whose agency left the catalogue
        return False
    try:
        status = await rt.client(agency.id).service_status(service.id, rt.deadline())
    except (AgencyUnavailable, UnknownService):
        logger.warning("service status unavailable agency=%s conversation=%s", agency.id, tag(tracker))
        say(dispatcher, "service_status_unavailable", service_name=service.name, agency_name=agency.name)
        return True
    since = optional_datetime(status.since)
    restore = status.status != "up" and status.expected_restore
    say_lines(
        dispatcher,
        line(f"service_{status.status}", service_name=service.name, since=since, message=status.message),
        *([line("service_restore", expected_restore=optional_datetime(status.expected_restore))] if restore else []),
    )
    return True


class ActionServiceStatus(Action):
    def name(self) -> Text:
        return "action_service_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        if not await tell_status(dispatcher, tracker, tracker.get_slot("service") or ""):
            say(dispatcher, "not_understood")
            return reset("service", "agency")
        say(dispatcher, "service_done")
        return [*reset("service", "agency"), about("service", tracker.get_slot("service") or "")]
