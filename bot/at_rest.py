"""A Rasa event in the form it is kept in Redis: personal identifiers never at rest in clear.

A conversation is kept for a day (``record_exp``), but what identifies a citizen is not:
- the national id and phone slots, which a form needs from one turn to the next, are sealed
  (``agencies.sealing``, key ``HAMYAR_DATA_KEY``) when saved and opened when read back;
- the citizen's own words, and the entities read from them, keep their numbers masked (a
  national id, a phone, a one-time code): only the turn in flight ever sees them whole;
- so do the one-time code slot and the phone a messenger vouched for in a message's metadata.
The actions clear the two slots once a case is answered or a complaint filed.
Imported by Rasa, so it uses only what the Rasa environment has.
"""

from __future__ import annotations

from typing import Any, Dict, Text

from agencies.sealing import Sealer
from nlu.identifiers import mask_numbers

SEALED_SLOTS = frozenset(("national_id", "phone_number"))
SEALED = "sealed:"


def _masked(value: Any) -> Any:
    return mask_numbers(value) if isinstance(value, str) else value


def _masked_metadata(metadata: Any) -> Any:
    """A message's metadata without the phone a messenger vouched for (it reaches the session's
    metadata slot too)."""
    if isinstance(metadata, dict) and metadata.get("verified_phone"):
        return {**metadata, "verified_phone": _masked(str(metadata["verified_phone"]))}
    return metadata


class AtRest:
    """Turns an event's dict (``Event.as_dict()``) into its at-rest form and back."""

    def __init__(self, sealer: Sealer) -> None:
        self._sealer = sealer

    def sealed(self, event: Dict[Text, Any]) -> Dict[Text, Any]:
        """The event as kept: sealed slots, masked words. A value already sealed stays as it is."""
        kind = event.get("event")
        if kind == "slot" and event.get("name") in SEALED_SLOTS and isinstance(event.get("value"), str):
            if not event["value"].startswith(SEALED):
                event = {**event, "value": SEALED + self._sealer.seal(event["value"])}
        elif kind == "slot" and event.get("name") == "otp_code":
            event = {**event, "value": _masked(event.get("value"))}
        elif kind == "slot" and event.get("name") == "session_started_metadata":
            event = {**event, "value": _masked_metadata(event.get("value"))}
        elif kind == "user":
            event = {**event, "text": _masked(event.get("text"))}
            parse_data = dict(event.get("parse_data") or {})
            if parse_data:
                parse_data["text"] = _masked(parse_data.get("text"))
                parse_data["entities"] = [{**e, "value": _masked(e.get("value"))} for e in parse_data.get("entities") or []]
                parse_data["metadata"] = _masked_metadata(parse_data.get("metadata"))
                event["parse_data"] = parse_data
            event["metadata"] = _masked_metadata(event.get("metadata"))
        return event

    def opened(self, event: Dict[Text, Any]) -> Dict[Text, Any]:
        """The event as Rasa works with it: sealed slots opened (masked words stay masked)."""
        value = event.get("value")
        if event.get("event") == "slot" and isinstance(value, str) and value.startswith(SEALED):
            try:
                return {**event, "value": self._sealer.open(value[len(SEALED) :])}
            except ValueError:
                return {**event, "value": None}  # sealed under a key long retired: asked again
        return event
