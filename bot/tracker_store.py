"""Hamyar's Rasa tracker store: Rasa's Redis store, with personal identifiers never at rest in clear.

A conversation is kept for a day (``record_exp``), but what identifies a citizen is not:
- the national id and phone slots, which a form needs from one turn to the next, are sealed
  (``agencies.sealing``, key ``HAMYAR_DATA_KEY``) when saved and opened when read back;
- the citizen's own words, and the entities read from them, keep their numbers masked (a
  national id, a phone, a one-time code): only the turn in flight ever sees them whole.
The actions clear the two slots once a case is answered or a complaint filed.
Imported by Rasa, so it uses only what the Rasa environment has.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Optional, Text, Union

from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

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


class HamyarTrackerStore(RedisTrackerStore):
    def __init__(self, domain: Domain, host: Text = "localhost", sealer: Optional[Sealer] = None, **kwargs: Any) -> None:
        # Rasa passes endpoints.yml's ``url`` as ``host``, as for its own ``type: redis``.
        super().__init__(domain, host=host, **kwargs)
        self._sealer = sealer or Sealer.from_env()

    async def save(self, tracker: DialogueStateTracker, timeout: Optional[float] = None) -> None:
        """Rasa's save, with the tracker merged in its at-rest form: the stored one has masked
        words, and merging it with unmasked ones would count every message twice."""
        await self.stream_events(tracker)
        key = self.key_prefix + tracker.sender_id
        stored = self.red.get(key)
        if stored is not None:
            prior = self.deserialise_tracker(tracker.sender_id, stored)
            at_rest = self.deserialise_tracker(tracker.sender_id, self.serialise_tracker(tracker))
            if prior is not None and at_rest is not None:
                tracker = self._merge_trackers(prior, at_rest)
        self.red.set(key, self.serialise_tracker(tracker), ex=timeout or self.record_exp)

    def serialise_tracker(self, tracker: DialogueStateTracker) -> Text:  # type: ignore[override]
        dialogue = tracker.as_dialogue().as_dict()
        dialogue["events"] = [self._at_rest(event) for event in dialogue["events"]]
        return json.dumps(dialogue)

    def deserialise_tracker(self, sender_id: Text, serialised_tracker: Union[Text, bytes]) -> Optional[DialogueStateTracker]:
        dialogue = json.loads(serialised_tracker)
        dialogue["events"] = [self._opened(event) for event in dialogue.get("events", [])]
        return super().deserialise_tracker(sender_id, json.dumps(dialogue))

    def _at_rest(self, event: Dict[Text, Any]) -> Dict[Text, Any]:
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

    def _opened(self, event: Dict[Text, Any]) -> Dict[Text, Any]:
        value = event.get("value")
        if event.get("event") == "slot" and isinstance(value, str) and value.startswith(SEALED):
            try:
                return {**event, "value": self._sealer.open(value[len(SEALED) :])}
            except ValueError:
                return {**event, "value": None}  # sealed under a key long retired: asked again
        return event
