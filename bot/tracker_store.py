"""Hamyar's Rasa tracker store: each conversation an append-only Redis list of its events, kept
in their at-rest form (``bot.at_rest``: identifiers sealed or masked).

Rasa's own ``RedisTrackerStore`` keeps a conversation as one JSON value and, on every save,
reads it back and merges it with the tracker by comparing every new event with every stored one:
a save costs the square of the conversation's length (issue 26). Here a save appends only the
events not yet stored, so it costs what the turn added, whatever came before:

- ``<prefix><sender_id>`` (``rasa:tracker:web:…``, the key Rasa's store uses): a list of events;
- ``<prefix minus its colon>-meta:<sender_id>``: a hash with where the latest session starts
  (``session``) and the fingerprints of the last stored events (``tail``), to find in the tracker
  being saved where the stored events end without reading them;
both with the expiry (``record_exp``) refreshed on every save. A Lua script appends only while
the list still has the length the save was computed against, so two saves that race (Rasa's
lock store makes that rare) both land, the second merged as Rasa's store merges.

``retrieve_full_tracker`` reads the whole list. ``retrieve`` reads the latest session (``LRANGE``
from ``session``), but of a long session only a window: Rasa computes states over the whole tracker
at each prediction and sends all of it to the action server with each call, so a turn would still
cost the session's length. The window is the last ``window_events`` events or a few more, from the
``action_listen`` that ended a turn, after the session's start (``action_session_start`` and
``session_started``) and the events that put the tracker in its state at that point: ``SlotSet``
events for every slot, and inside a loop (a form held open) the loop and the last few turns as
Rasa applies them (it collapses a form's turns, ``applied_events``). Those are saved as each turn
ends (a mark: ``<prefix minus its colon>-marks:<sender_id>``, a list of list lengths, and the
events in the meta hash). From the window's start on, the tracker is the one Rasa's store
returns: every event, every state Rasa derives from them. A value Rasa's store wrote (one JSON
string under the same key) is read as it is and turned into a list on the next save. Imported by Rasa, so it uses only what the Rasa
environment has.
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter, OrderedDict
from typing import Any, Deque, Dict, Iterable, List, Optional, Sequence, Text, Tuple, Union

from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.conversation import Dialogue
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, ConversationPaused, Event, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker, get_trackers_for_conversation_sessions
from rasa.shared.utils.common import all_subclasses
from redis.exceptions import WatchError

from agencies.sealing import Sealer
from bot.at_rest import AtRest

logger = logging.getLogger(__name__)

# Events whose fingerprints the meta hash keeps: enough that events sharing a type and a
# timestamp (created within the clock's resolution) do not make the end of the stored ones ambiguous.
TAIL = 3
SAVE_ATTEMPTS = 5
# Lua's unpack() is limited by its stack: a long first save (a migration) is pushed in slices.
PUSH_SLICE = 1000
# A window starts this many turns before it must (where a mark is kept): the states a rule looks
# back over (3 at most in Hamyar's rules) may reach back past a form, whose turns Rasa collapses.
MARGIN_TURNS = 2
# A session's first events read for its start: action_session_start, what it says, session_started.
SESSION_HEAD = 4
# A long session is read as a window of about this many events (TRACKER_WINDOW_EVENTS; 0: whole
# sessions). A Hamyar turn is 5-8 events: about the cost of turn 8, and far more than the few
# states the longest rule looks back over.
DEFAULT_WINDOW_EVENTS = 40
MIN_WINDOW_EVENTS = 20
# Metadata of the events that put a window's tracker in its state: never saved.
RESTORED = "hamyar_window"
# Of a window that starts inside a loop: the turns before it, as Rasa applies them (a rule looks
# back over 3 states at most), and where the restored loop keeps its trigger message.
LOOP_TAIL_TURNS = 4
TRIGGER = "hamyar_trigger"
# Conversations whose stored state a read left for the save that ends the turn (reads without
# a save, the HTTP API's, are forgotten oldest first).
KNOWN_STATES = 1024

# KEYS: events, meta. Length of the list, start of the latest session and the stored tail.
STATE_SCRIPT = """
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind == 'string' then return {'string'} end
local meta = redis.call('HMGET', KEYS[2], 'session', 'tail')
return {kind, redis.call('LLEN', KEYS[1]), meta[1], meta[2]}
"""

# KEYS: events, meta, marks. ARGV: expected length, expiry in seconds (0: none), session start,
# tail, a mark (the list's length after this save, 0: none), its slots, how many marks to keep,
# then the events. Appends only if nobody appended since the save read the length.
FIRST_EVENT = 8
APPEND_SCRIPT = f"""
local length = redis.call('LLEN', KEYS[1])
if length ~= tonumber(ARGV[1]) then return -1 end
for first = {FIRST_EVENT}, #ARGV, {PUSH_SLICE} do
  redis.call('RPUSH', KEYS[1], unpack(ARGV, first, math.min(first + {PUSH_SLICE - 1}, #ARGV)))
end
if redis.call('HGET', KEYS[2], 'session') ~= ARGV[3] then
  -- a new session: the marks of the one before would never be read again
  for _, at in ipairs(redis.call('LRANGE', KEYS[3], 0, -1)) do redis.call('HDEL', KEYS[2], 'at:' .. at) end
  redis.call('DEL', KEYS[3])
end
redis.call('HSET', KEYS[2], 'session', ARGV[3], 'tail', ARGV[4])
if ARGV[5] ~= '0' then
  redis.call('RPUSH', KEYS[3], ARGV[5])
  redis.call('HSET', KEYS[2], 'at:' .. ARGV[5], ARGV[6])
  while redis.call('LLEN', KEYS[3]) > tonumber(ARGV[7]) do
    redis.call('HDEL', KEYS[2], 'at:' .. redis.call('LPOP', KEYS[3]))
  end
end
local expiry = tonumber(ARGV[2])
for _, key in ipairs(KEYS) do
  if expiry > 0 then redis.call('EXPIRE', key, expiry) else redis.call('PERSIST', key) end
end
return length + #ARGV - {FIRST_EVENT - 1}
"""

# KEYS: events, meta, marks. ARGV: '1' for every session, '0' for the latest; the window in events
# (0: none). A value Rasa's own store wrote comes back as ('string', value); a conversation never
# saved as nil. Otherwise the state STATE_SCRIPT gives (kind, length, session, tail), then for a
# latest session longer than the window ('window', session start, window start, the session's
# first SESSION_HEAD events, the slots at the window's start, the window's events), else
# ('list', start, the events from start).
READ_SCRIPT = f"""
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind == 'string' then return {{'string', redis.call('GET', KEYS[1])}} end
if redis.call('EXISTS', KEYS[2]) == 0 then return false end
local meta = redis.call('HMGET', KEYS[2], 'session', 'tail')
local start = 0
if ARGV[1] == '0' then start = tonumber(meta[1] or '0') end
local window = tonumber(ARGV[2])
local length = redis.call('LLEN', KEYS[1])
local state = {{kind, length, meta[1], meta[2]}}
if ARGV[1] == '0' and window > 0 and length - start > window then
  -- the newest mark with at least `window` events after its action_listen (marks are in order),
  -- then {MARGIN_TURNS} turns more
  local marks, found = redis.call('LLEN', KEYS[3]), nil
  for back = 1, marks do
    if tonumber(redis.call('LINDEX', KEYS[3], -back)) - 1 <= length - window then
      found = math.min(back + {MARGIN_TURNS}, marks)
      break
    end
  end
  if found then
    local at = tonumber(redis.call('LINDEX', KEYS[3], -found))
    local slots = redis.call('HGET', KEYS[2], 'at:' .. at)
    if at - 1 >= start + {SESSION_HEAD} and slots then
      return {{state, {{'window', start, at - 1, redis.call('LRANGE', KEYS[1], start, start + {SESSION_HEAD - 1}), slots,
              redis.call('LRANGE', KEYS[1], at - 1, -1)}}}}
    end
  end
end
return {{state, {{'list', start, redis.call('LRANGE', KEYS[1], start, -1)}}}}
"""


class TrackerSaveConflict(RuntimeError):
    """Other saves of the same conversation kept landing first (Rasa's lock store should
    prevent this)."""


def fingerprint(event: Union[Event, Dict[Text, Any]]) -> Text:
    """What tells one stored event from another cheaply: its type and timestamp (kept exactly
    through JSON), the same for the event and for its at-rest dict."""
    if isinstance(event, dict):
        return f"{event.get('event')}@{event.get('timestamp')!r}"
    return f"{event.type_name}@{event.timestamp!r}"


def _starts_session(event: Dict[Text, Any]) -> bool:
    # Rasa splits a conversation into sessions at this action (get_trackers_for_conversation_sessions).
    return event.get("event") == "action" and event.get("name") == ACTION_SESSION_START_NAME


def _session_start(first: Sequence[Text]) -> List[Dict[Text, Any]]:
    """Of a session's first stored events, its start: ``action_session_start`` up to the
    ``session_started`` that resets the slots (its time names the session for the actions). What
    the start action says comes between them (Hamyar's privacy notice), so it is kept too."""
    rows = [json.loads(row) for row in first]
    if not rows or not _starts_session(rows[0]):
        return []
    ends = [i for i, row in enumerate(rows) if row.get("event") == "session_started"]
    return rows[: ends[0] + 1] if ends else rows[:1]


def events_after(events: Deque[Event], tail: Sequence[Text]) -> Optional[List[Event]]:
    """The events of ``events`` after the stored ``tail`` (fingerprints, oldest first), found by
    reading back from the newest: O(new events). None when ``events`` does not hold the tail's
    last event (another save landed first, or the tracker was made elsewhere)."""
    if not tail:
        return list(events)
    wanted = list(reversed(tail))  # newest first, as we read
    newest_first: List[Event] = []
    older = reversed(events)
    exhausted = False
    for offset in range(len(events)):
        while not exhausted and len(newest_first) < offset + len(wanted):
            event = next(older, None)
            if event is None:
                exhausted = True
            else:
                newest_first.append(event)
        window = [fingerprint(event) for event in newest_first[offset : offset + len(wanted)]]
        # A tracker of the latest session may begin after the stored tail's oldest events.
        if window == wanted[: len(window)] and (len(window) == len(wanted) or exhausted):
            return list(reversed(newest_first[:offset]))
    return None


def parsed_state(state: Sequence[Any]) -> Tuple[int, int, List[Text]]:
    """(length, session start, tail) of STATE_SCRIPT's or READ_SCRIPT's (kind, length, session, tail)."""
    _, length, session, tail = state
    return int(length), int(session or 0), json.loads(tail) if tail else []


def restored(event: Event) -> bool:
    """Whether ``event`` only puts a window's slots at their values (never stored)."""
    return bool(event.metadata.get(RESTORED))


def _as_restored(event: Event) -> Event:
    """A copy of ``event`` marked as restored (never saved again)."""
    row = event.as_dict()
    row["metadata"] = {**(row.get("metadata") or {}), RESTORED: True}
    return deserialised([row])[0]


def restored_at_mark(tracker: DialogueStateTracker) -> Optional[List[Event]]:
    """What puts a window that starts at this turn's closing ``action_listen`` in the state Rasa
    derives there from the whole session.

    Outside a loop: ``SlotSet`` events that put every slot at its value, and a pause if the
    conversation is paused. Inside a loop (a form held open by other questions, a code asked
    again): Rasa collapses a form's happy-path turns (``applied_events``) back to the form's
    previous run, and its rules look back over the last few states, so the window is preceded by
    the last ``LOOP_TAIL_TURNS`` turns as Rasa applies them, and before those the slots, the
    loop and the pause as they were then. None where a form began too recently to have them
    (the window then starts at an earlier mark)."""
    last = tracker.events[-1]
    marker = {RESTORED: True}
    if tracker.active_loop_name is None:
        tail: List[Event] = []
        before = tracker
    else:
        applied = tracker.applied_events()
        listens = [
            i for i, event in enumerate(applied) if isinstance(event, ActionExecuted) and event.action_name == ACTION_LISTEN_NAME
        ]
        if len(listens) <= LOOP_TAIL_TURNS:
            return None
        start = listens[-1 - LOOP_TAIL_TURNS]
        # The closing listen starts the window. What the bot said changes no state: left out, it
        # is most of a mark's size.
        tail = [_as_restored(event) for event in applied[start:-1] if not isinstance(event, BotUttered)]
        before = tracker.init_copy()
        for event in applied[:start]:
            before.update(event)
    # After session_started every slot is at its initial value: only the others are set.
    events: List[Event] = [
        SlotSet(name, slot.value, timestamp=last.timestamp, metadata=marker)
        for name, slot in before.slots.items()
        if slot.value != slot.initial_value
    ]
    if before.active_loop_name is not None:
        # Its trigger (the message that started it) is the one the whole session has.
        trigger = tracker.active_loop.trigger_message if tracker.active_loop_name == before.active_loop_name else None
        events.append(ActiveLoop(before.active_loop_name, timestamp=last.timestamp, metadata={**marker, TRIGGER: trigger}))
    if before.is_paused():
        events.append(ConversationPaused(timestamp=last.timestamp, metadata=marker))
    return events + tail


def restore_loop_trigger(tracker: DialogueStateTracker) -> None:
    """A loop a window's restored events began keeps the message that triggered it (Rasa sets
    the trigger from the latest message, which a window does not hold then)."""
    for event in reversed(tracker.events):
        if isinstance(event, ActiveLoop):
            if TRIGGER in event.metadata and tracker.active_loop is not None and event.name == tracker.active_loop_name:
                tracker.active_loop.trigger_message = event.metadata.get(TRIGGER)
            return


def marks_kept(window_events: int) -> int:
    """Marks kept per conversation: enough to find one a window's worth of events back (a turn is
    at least a message, an action and ``action_listen``) and the margin before it; where none is
    found the whole session is read, as before it grew."""
    return window_events // 3 + MARGIN_TURNS + 2


def window_events_setting(value: Union[None, int, Text]) -> int:
    """The window in events: given (endpoints.yml's ``window_events``), else ``TRACKER_WINDOW_EVENTS``,
    else the default; 0 reads whole sessions."""
    if value is None or value == "":
        value = os.environ.get("TRACKER_WINDOW_EVENTS") or DEFAULT_WINDOW_EVENTS
    events = int(value)
    if events and events < MIN_WINDOW_EVENTS:
        # A window must hold the states the longest rule looks back over, with room to spare.
        raise ValueError(f"window_events={events}: give 0 (no window) or at least {MIN_WINDOW_EVENTS}")
    return events


def events_missing(events: Iterable[Event], stored: Iterable[Text]) -> List[Event]:
    """Rasa's merge, for a tracker that does not simply extend the stored events: every event
    not stored already, once (O(conversation), only after a race or a tracker made elsewhere)."""
    remaining = Counter(stored)
    missing = []
    for event in events:
        key = fingerprint(event)
        if remaining[key]:
            remaining[key] -= 1
        else:
            missing.append(event)
    return missing


_EVENT_CLASSES: Dict[Text, type] = {}


def _event_class(name: Text) -> Optional[type]:
    """The event class Rasa's ``Event.resolve_by_type`` finds, which walks every subclass of
    ``Event`` for each event it reads (70% of reading a tracker): walked once, again for a name
    not met before (a class imported since)."""
    if name not in _EVENT_CLASSES:
        for kind in all_subclasses(Event):
            _EVENT_CLASSES.setdefault(kind.type_name, kind)
    return _EVENT_CLASSES.get(name)


def deserialised(rows: Iterable[Dict[Text, Any]]) -> List[Event]:
    """Rasa's ``deserialise_events``, with event classes looked up in a table."""
    events = []
    for row in rows:
        if "event" not in row:
            continue
        kind = _event_class(row["event"])
        # An unknown name: as Rasa reads it (it skips an old «topic», refuses anything else).
        event = kind._from_parameters(row) if kind is not None else Event.from_parameters(row)
        if event:
            events.append(event)
    return events


class HamyarTrackerStore(RedisTrackerStore):
    def __init__(
        self,
        domain: Domain,
        host: Text = "localhost",
        sealer: Optional[Sealer] = None,
        window_events: Union[None, int, Text] = None,
        **kwargs: Any,
    ) -> None:
        # Rasa passes endpoints.yml's ``url`` as ``host``, as for its own ``type: redis``.
        super().__init__(domain, host=host, **kwargs)
        self.window_events = window_events_setting(window_events)
        self._at_rest = AtRest(sealer or Sealer.from_env())
        # endpoints.yml gives it as text (an environment variable).
        self.record_exp = int(float(self.record_exp)) if self.record_exp else None
        self._state_script = self.red.register_script(STATE_SCRIPT)
        self._append_script = self.red.register_script(APPEND_SCRIPT)
        self._read_script = self.red.register_script(READ_SCRIPT)
        # sender_id -> the stored (length, session start, tail) the latest read found. A turn reads
        # and saves under Rasa's lock, so its save appends without asking again (one round trip
        # less); a state gone stale only makes the append script refuse, then it asks.
        self._known: OrderedDict[Text, Tuple[int, int, List[Text]]] = OrderedDict()

    # Keys

    def _events_key(self, sender_id: Text) -> Text:
        return self.key_prefix + sender_id

    @property
    def _meta_prefix(self) -> Text:
        # Not under key_prefix, so scanning for conversations finds only their event lists.
        return self.key_prefix.rstrip(":") + "-meta:"

    def _keys(self, sender_id: Text) -> List[Text]:
        """The events, the meta hash and the marks (not under key_prefix either)."""
        marks = self.key_prefix.rstrip(":") + "-marks:" + sender_id
        return [self._events_key(sender_id), self._meta_prefix + sender_id, marks]

    # Saving

    async def save(self, tracker: DialogueStateTracker, timeout: Optional[float] = None) -> None:
        """Appends the events of ``tracker`` not stored yet, in their at-rest form, and publishes
        them to the event broker if there is one."""
        expiry = int(timeout or self.record_exp or 0)
        known = self._known.pop(tracker.sender_id, None)
        for _ in range(SAVE_ATTEMPTS):
            length, session, tail = known or self._state(tracker.sender_id)
            known = None
            new, extends = self._unsaved(tracker, length, tail)
            rows = [self._at_rest.sealed(event.as_dict()) for event in new]
            starts = [length + i for i, row in enumerate(rows) if _starts_session(row)]
            tail = (list(tail) + [fingerprint(row) for row in rows])[-TAIL:]
            arguments = [length, expiry, starts[-1] if starts else session, json.dumps(tail)]
            # The tracker's state is the stored one only when it simply extends the stored events.
            mark = self._mark(tracker, new) if extends else None
            arguments += [length + len(rows), mark, marks_kept(self.window_events)] if mark else [0, "", 0]
            arguments += [json.dumps(row) for row in rows]
            if self._append_script(keys=self._keys(tracker.sender_id), args=arguments) >= 0:
                if self.event_broker is not None:
                    await self._stream_new_events(self.event_broker, new, tracker.sender_id)
                return
            logger.debug("Another save of conversation %s landed first; merging again.", tracker.sender_id)
        raise TrackerSaveConflict(f"conversation {tracker.sender_id} could not be saved after {SAVE_ATTEMPTS} attempts")

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Publishes the events of ``tracker`` not stored yet (what ``save`` would append)."""
        if self.event_broker is None:
            return
        length, _, tail = self._state(tracker.sender_id)
        await self._stream_new_events(self.event_broker, self._unsaved(tracker, length, tail)[0], tracker.sender_id)

    def _unsaved(self, tracker: DialogueStateTracker, length: int, tail: Sequence[Text]) -> Tuple[List[Event], bool]:
        """The events of ``tracker`` to append, and whether the tracker simply extends the stored
        events. A window's restored slots are never among them."""
        if not length:
            return [event for event in tracker.events if not restored(event)], True
        new = events_after(tracker.events, tail)
        if new is not None:
            return [event for event in new if not restored(event)], True
        stored = self.red.lrange(self._events_key(tracker.sender_id), 0, -1)
        missing = events_missing(tracker.events, (fingerprint(json.loads(row)) for row in stored))
        return [event for event in missing if not restored(event)], False

    def _mark(self, tracker: DialogueStateTracker, new: Sequence[Event]) -> Optional[Text]:
        """Where a window may start, as this save ends a turn: the events (at rest) that bring a
        tracker to the state Rasa derives at that point (``restored_at_mark``). None for a save
        that ends no turn."""
        if not self.window_events or not new:
            return None
        last = new[-1]
        if not isinstance(last, ActionExecuted) or last.action_name != ACTION_LISTEN_NAME:
            return None
        events = restored_at_mark(tracker)
        if events is None:
            return None
        return json.dumps([self._at_rest.sealed(event.as_dict()) for event in events])

    def _state(self, sender_id: Text) -> Tuple[int, int, List[Text]]:
        """The stored list's length, where its latest session starts and its tail; a value in
        Rasa's own format is turned into a list first."""
        state = self._state_script(keys=self._keys(sender_id))
        if state[0] == "string":
            self._migrate(sender_id)
            state = self._state_script(keys=self._keys(sender_id))
        return parsed_state(state)

    def _migrate(self, sender_id: Text) -> None:
        """Rewrites a conversation Rasa's own store kept (one JSON value) as a list, keeping its
        expiry. The value is watched, so a conversation is migrated once."""
        key, meta, _ = self._keys(sender_id)
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    if pipe.type(key) != "string":
                        return
                    stored, remaining = pipe.get(key), pipe.pttl(key)
                    rows = [self._at_rest.sealed(event) for event in json.loads(stored).get("events", [])]
                    starts = [i for i, row in enumerate(rows) if _starts_session(row)]
                    pipe.multi()
                    pipe.delete(key, meta)
                    if rows:
                        pipe.rpush(key, *(json.dumps(row) for row in rows))
                    tail = [fingerprint(row) for row in rows[-TAIL:]]
                    pipe.hset(meta, mapping={"session": starts[-1] if starts else 0, "tail": json.dumps(tail)})
                    if remaining and remaining > 0:
                        pipe.pexpire(key, remaining)
                        pipe.pexpire(meta, remaining)
                    pipe.execute()
                    logger.debug("Conversation %s moved to an event list (%d events).", sender_id, len(rows))
                    return
                except WatchError:
                    continue

    # Reading

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The tracker of the latest session, as Rasa's store returns it."""
        return self._read(sender_id, every_session=False)

    async def retrieve_full_tracker(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The tracker of every session."""
        return self._read(sender_id, every_session=True)

    def _read(self, sender_id: Text, every_session: bool) -> Optional[DialogueStateTracker]:
        window = 0 if every_session else self.window_events
        self._known.pop(sender_id, None)  # only what this read finds (a value in Rasa's format: nothing)
        found = self._read_script(keys=self._keys(sender_id), args=["1" if every_session else "0", window])
        if found is None:
            logger.debug("Could not find tracker for conversation ID '%s'.", sender_id)
            return None
        if found[0] == "string":  # written by Rasa's own store: read as that store reads it
            tracker = self.deserialise_tracker(sender_id, found[1])
            if every_session or tracker is None:
                return tracker
            sessions = get_trackers_for_conversation_sessions(tracker)
            return sessions[-1] if len(sessions) > 1 else tracker
        state, found = found
        self._known[sender_id] = parsed_state(state)  # newest last: dropped above
        while len(self._known) > KNOWN_STATES:
            self._known.popitem(last=False)
        if found[0] == "window":
            _, start, _, first, slots, rows = found
            rows = _session_start(first) + json.loads(slots) + [json.loads(row) for row in rows]
        else:
            _, start, stored = found
            rows = [json.loads(row) for row in stored]
        events = deserialised(self._at_rest.opened(row) for row in rows)
        if start > 0:
            # Earlier sessions exist: built as Rasa builds the latest of several sessions.
            tracker = DialogueStateTracker.from_events(
                sender_id, events, self.domain.slots, max_event_history=self.max_event_history
            )
        else:
            tracker = self.init_tracker(sender_id)
            tracker.recreate_from_dialogue(Dialogue(sender_id, events))
        if found[0] == "window":
            restore_loop_trigger(tracker)
        return tracker

    async def exists(self, conversation_id: Text) -> bool:
        return self.red.exists(*self._keys(conversation_id)) > 0

    async def keys(self) -> Iterable[Text]:
        """The conversation ids (Rasa's own Redis store returns whole Redis keys, which its
        ``rasa export`` then cannot find)."""
        found = set()
        for prefix in (self.key_prefix, self._meta_prefix):  # Rasa's format has no meta hash
            found.update(key[len(prefix) :] for key in self.red.scan_iter(match=prefix + "*", count=1000))
        return found

    # The whole tracker in its at-rest form: the format of Rasa's own store (its tests use these).

    def serialise_tracker(self, tracker: DialogueStateTracker) -> Text:  # type: ignore[override]
        dialogue = tracker.as_dialogue().as_dict()
        dialogue["events"] = [self._at_rest.sealed(event) for event in dialogue["events"]]
        return json.dumps(dialogue)

    def deserialise_tracker(self, sender_id: Text, serialised_tracker: Union[Text, bytes]) -> Optional[DialogueStateTracker]:
        dialogue = json.loads(serialised_tracker)
        dialogue["events"] = [self._at_rest.opened(event) for event in dialogue.get("events", [])]
        return super().deserialise_tracker(sender_id, json.dumps(dialogue))
