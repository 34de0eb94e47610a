"""The tracker Rasa sends the action server with every call, without what no action reads.

Rasa 3.6 sends the whole tracker window, every event as stored, with each call (about 1.7 a
message). Parsing that body was about a quarter of the action server's busy time, and writing it
a tenth of Rasa's (issue 26's profiles). Of the events, the actions read the kind, names,
values, texts, a bot message's buttons and custom data, and timestamps; of the citizen's
messages only the latest one's parse in full, which stays in ``latest_message``. Dropped:

- ``user_featurization`` events (Rasa's own note of how it featurized a message);
- the model's id and the assistant's name in each event's metadata (Rasa stamps every event);
- of each citizen message in ``events``, its parse's intent ranking and token offsets;
- a bot message's data fields that are empty (``None``): read with ``.get``, they are the same.

Imported by Rasa, so it uses only the standard library.
"""

from __future__ import annotations

from typing import Any

# Event kinds no action reads.
UNREAD_EVENTS = frozenset({"user_featurization"})
# Keys Rasa stamps into every event's metadata.
STAMPS = frozenset({"model_id", "assistant_id"})
# Of an earlier message's parse: what only the policies and the latest message's readers use.
UNREAD_PARSE = frozenset({"intent_ranking", "text_tokens"})


def lighter_event(event: Any) -> Any:
    """One event (its dict) without what no action reads."""
    if not isinstance(event, dict):
        return event
    light = dict(event)
    metadata = event.get("metadata")
    if isinstance(metadata, dict) and STAMPS & metadata.keys():
        kept = {key: value for key, value in metadata.items() if key not in STAMPS}
        if kept:
            light["metadata"] = kept
        else:
            del light["metadata"]
    kind = event.get("event")
    parse = event.get("parse_data")
    if kind == "user" and isinstance(parse, dict):
        light["parse_data"] = {key: value for key, value in parse.items() if key not in UNREAD_PARSE}
    data = event.get("data")
    if kind == "bot" and isinstance(data, dict):
        light["data"] = {key: value for key, value in data.items() if value is not None}
    return light
