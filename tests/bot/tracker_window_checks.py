"""Run in the Rasa environment by test_tracker_window.py: Hamyar's tracker store reading a long
session as a window (bot/tracker_store.py), against the test session's redis-server.

Two copies of one conversation are taken turn by turn as Rasa's processor takes them (retrieve,
add the turn, save): one by a store with a window, one by a store without. Compared at every turn:
what Rasa derives from the tracker, and the next action of a RulePolicy trained on Hamyar's rules.

``python -m tests.bot.tracker_window_checks WORKDIR`` prints «RESULT » and a JSON object.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

from tests.bot.tracker_store_checks import Kit, count_calls, run_checks

ROOT = Path(__file__).resolve().parents[2]
CHECKS: Dict[str, Callable[..., Any]] = {}
WINDOW = 30
# conversation() repeats itself every this many turns: costs are compared at the same point.
CYCLE = 16
CODE, NATIONAL_ID, PHONE = "7140508213457", "0016383230", "09121000101"


def check(function: Callable[..., Any]) -> Callable[..., Any]:
    CHECKS[function.__name__] = function
    return function


class Clock:
    """Event times a millisecond apart: both copies of a conversation get the same events."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        self.now += 0.001
        return round(self.now, 3)


class Events:
    """The events of a made-up conversation, each at the next tick of its own clock."""

    def __init__(self) -> None:
        from rasa.shared.core import events

        self.kinds = events
        self.clock = Clock()

    def said(self, intent: str, text: str, entities: List[Dict[str, Any]] = ()) -> Any:
        parse_data = {"intent": {"name": intent, "confidence": 0.9}, "entities": list(entities), "text": text}
        return self.kinds.UserUttered(
            text, parse_data["intent"], list(entities), parse_data, timestamp=self.clock(), input_channel="hamyar"
        )

    def action(self, name: str) -> Any:
        return self.kinds.ActionExecuted(name, timestamp=self.clock())

    def slot(self, name: str, value: Any) -> Any:
        return self.kinds.SlotSet(name, value, timestamp=self.clock())

    def bot(self, text: str, data: Optional[Dict[str, Any]] = None) -> Any:
        return self.kinds.BotUttered(text, data or {}, timestamp=self.clock())

    def loop(self, name: Any) -> Any:
        return self.kinds.ActiveLoop(name, timestamp=self.clock())

    def session_started(self) -> Any:
        return self.kinds.SessionStarted(timestamp=self.clock())


def conversation(turns: int) -> Iterator[list]:
    """The events of a session, a turn at a time (each turn ends listening, as Rasa stores it):
    chat, and every few turns the case-status form, whose asks, re-asks (a code that fails
    validation), an interruption and its end span more than the window."""
    made = Events()
    said, action, slot, loop = made.said, made.action, made.slot, made.loop

    def bot(text: str) -> Any:
        return made.bot(text, {"buttons": [{"title": "منوی اصلی", "payload": "/help"}]})

    yield [
        action("action_session_start"),
        bot("همیار این گفتگو را تا یک روز نگه می‌دارد."),  # what Hamyar's session start says, before the reset
        made.session_started(),
        slot("privacy_notice_shown", True),
        action("action_listen"),
    ]
    form = "case_status_form"
    number = 0
    while number < turns:
        for step in range(3):  # chat between forms
            number += 1
            if step == 0:
                yield [said("greet", f"سلام {number}"), action("action_greet"), bot("سلام"), action("action_listen")]
            else:
                service = ["pension", "passport"][number % 2]
                yield [
                    said("how_to", f"چطور {service}"),
                    slot("service", service),
                    action("action_how_to"),
                    bot("قدم اول"),
                    action("action_listen"),
                ]
        number += 1
        yield [
            said("case_status", "پرونده‌ام چی شد"),
            action(form),
            loop(form),
            slot("requested_slot", "tracking_code"),
            bot("کد پیگیری؟"),
            action("action_listen"),
        ]
        for attempt in range(8):  # a code that fails validation, asked again
            number += 1
            entity = [{"entity": "tracking_code", "value": str(attempt) * 5}]
            yield [
                said("inform", str(attempt) * 5, entity),
                slot("tracking_code", str(attempt) * 5),
                action(form),
                slot("tracking_code", None),
                slot("requested_slot", "tracking_code"),
                bot("کد درست نیست"),
                action("action_listen"),
            ]
            if attempt == 4:  # the citizen asks for help; Rasa's rule leaves the form
                number += 1
                yield [
                    said("out_of_scope", "هوا چطوره"),
                    action("utter_form_not_understood"),
                    bot("نفهمیدم"),
                    action(form),
                    slot("requested_slot", "tracking_code"),
                    bot("کد پیگیری؟"),
                    action("action_listen"),
                ]
        number += 1
        yield [
            said("inform", CODE),
            slot("tracking_code", CODE),
            action(form),
            slot("requested_slot", "national_id"),
            bot("کد ملی؟"),
            action("action_listen"),
        ]
        number += 1
        yield [
            said("inform", NATIONAL_ID),
            slot("national_id", NATIONAL_ID),
            action(form),
            slot("requested_slot", "phone_number"),
            bot("موبایل؟"),
            action("action_listen"),
        ]
        number += 1
        yield [
            said("inform", PHONE),
            slot("phone_number", PHONE),
            slot("phone_verified", True),
            action(form),
            slot("requested_slot", None),
            loop(None),
            action("action_case_status"),
            bot("در حال بررسی"),
            slot("identity_verified", True),
            slot("tracking_code", None),
            action("action_listen"),
        ]


def rule_trackers(domain: Any) -> List[Any]:
    """The conversations Hamyar's rules make, as RulePolicy learns from them."""
    from rasa.shared.core.generator import TrainingDataGenerator
    from rasa.shared.core.training_data.loading import load_data_from_files
    from rasa.shared.core.training_data.structures import StoryGraph

    graph = StoryGraph(load_data_from_files([str(ROOT / "bot" / "data" / "rules.yml")], domain))
    return TrainingDataGenerator(graph, domain, augmentation_factor=0, use_story_concatenation=False).generate()


def rule_policy() -> Any:
    """A RulePolicy trained on Hamyar's domain and rules, configured as config.yml says."""
    import yaml
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.core.domain import Domain

    domain = Domain.load(str(ROOT / "bot" / "domain.yml"))
    trackers = rule_trackers(domain)
    settings = next(p for p in yaml.safe_load((ROOT / "config.yml").read_text())["policies"] if p["name"].endswith("RulePolicy"))
    config = {**RulePolicy.get_default_config(), **{k: v for k, v in settings.items() if k != "name"}}
    storage = LocalModelStorage(Path(tempfile.mkdtemp()))
    policy = RulePolicy.create(config, storage, Resource("rules"), ExecutionContext(GraphSchema({}), "window-check"))
    policy.train(trackers, domain)
    return policy, domain


def prediction(policy: Any, tracker: Any, domain: Any) -> Dict[str, Any]:
    """What the policy would have Rasa do next, and the events it would add."""
    made = policy.predict_action_probabilities(tracker, domain)
    best = max(range(len(made.probabilities)), key=made.probabilities.__getitem__)
    return {
        "action": domain.action_names_or_texts[best],
        "confidence": made.max_confidence,
        "events": [event.as_dict() for event in made.events],
        "hide_rule_turn": made.hide_rule_turn,
    }


def derived(tracker: Any, domain: Any) -> Dict[str, Any]:
    """What Rasa derives from a tracker: its state (slots, latest message and action, active loop,
    follow-up action, pause), the last states a rule looks back over, and the session's start
    (its time names the session for the actions: actions/trust.py)."""
    started = [e.timestamp for e in tracker.events if e.type_name == "session_started"]
    return {
        "state": tracker.current_state(),
        "past_states": tracker.past_states(domain)[-4:],
        "session_started": started[-1:],
    }


def windowed_kit(kit: Kit, domain: Any, window: int) -> tuple:
    from bot.tracker_store import HamyarTrackerStore

    common = {**kit.connection, "record_exp": "3600", "sealer": kit.sealer}
    return (
        HamyarTrackerStore(domain, key_prefix="window", window_events=window, **common),
        HamyarTrackerStore(domain, key_prefix="whole", window_events=0, **common),
    )


async def compared_turn_by_turn(kit: Kit, make: Callable[[], Iterator[list]]) -> tuple:
    """One conversation (``make()`` twice: each store gets its own events) taken by a store with
    a window and one without: at every turn and after every event the windowed tracker must give
    the state and the next action the whole session gives; both stores keep the same events.
    The tracker sizes (whole, windowed) at each turn, the turns a window cut a form, the
    comparisons made, the conversation's id."""
    from rasa.shared.core.events import ActionExecuted, UserUttered

    policy, domain = rule_policy()
    windowed, whole = windowed_kit(kit, domain, WINDOW)
    sender = uuid.uuid4().hex
    sizes, in_form, compared = [], 0, 0
    for number, (mine, theirs) in enumerate(zip(make(), make())):
        ours = await windowed.get_or_create_tracker(sender, append_action_listen=False)
        reference = await whole.get_or_create_tracker(sender, append_action_listen=False)
        assert derived(ours, domain) == derived(reference, domain), number
        sizes.append((len(reference.events), len(ours.events)))
        in_form += bool(ours.active_loop_name) and len(ours.events) < len(reference.events)
        for event, same in zip(mine, theirs):
            ours.update(event)
            reference.update(same)
            if isinstance(event, (UserUttered, ActionExecuted)):
                assert prediction(policy, ours, domain) == prediction(policy, reference, domain), (number, event)
                assert derived(ours, domain) == derived(reference, domain), (number, event)
                compared += 1
        await windowed.save(ours)
        await whole.save(reference)
        assert kit.redis.llen(f"window:tracker:{sender}") == kit.redis.llen(f"whole:tracker:{sender}"), number
    full = [event.as_dict() for event in (await windowed.retrieve_full_tracker(sender)).events]
    assert full == [event.as_dict() for event in (await whole.retrieve_full_tracker(sender)).events]
    assert not any(event.get("metadata", {}).get("hamyar_window") for event in full)
    return sizes, in_form, compared, sender


@check
async def a_long_session_behaves_as_the_whole_session(kit: Kit) -> Dict[str, Any]:
    """150 turns of chat and forms, a window of 30 events."""
    sizes, in_form, compared, _ = await compared_turn_by_turn(kit, lambda: conversation(150))
    windows = [size for whole_size, size in sizes if size < whole_size]
    assert len(windows) > 0.7 * len(sizes), sizes
    assert in_form > 10, in_form  # a form spanned the window's boundary that many times
    # Bounded, whatever the session's length.
    assert max(windows) < 120 and sizes[-1][0] > 1000, sizes[-5:]
    return {"turns": len(sizes), "compared": compared, "session_events": sizes[-1][0], "largest_window": max(windows)}


def form_held_open(turns: int) -> Iterator[list]:
    """The events of a session in which the case-status form stays open for ``turns`` turns, as
    Hamyar's rules keep it: other questions answered and the pending question asked again
    (greetings, how-tos, off-topic, not understood), a code that fails validation, a code
    accepted; then the form ends."""
    made = Events()
    said, action, slot, bot, loop = made.said, made.action, made.slot, made.bot, made.loop

    form = "case_status_form"
    yield [action("action_session_start"), bot("همیار"), made.session_started(), action("action_listen")]
    yield [said("greet", "سلام"), action("action_greet"), bot("سلام"), action("action_listen")]
    yield [
        said("case_status", "پرونده‌ام چی شد"),
        action(form),
        loop(form),
        slot("requested_slot", "tracking_code"),
        bot("کد پیگیری؟"),
        action("action_listen"),
    ]
    asides = [
        ("greet", "utter_form_greet"),
        ("how_to", "action_answer_aside"),
        ("thank", "utter_form_thank"),
        ("out_of_scope", "action_answer_aside"),
        ("nlu_fallback", "action_form_not_understood"),
        ("service_status", "action_answer_aside"),
    ]
    for number in range(turns):
        if number % 7 == 6:  # a code that fails validation: the form's happy path, asked again
            code = str(number % 10) * 5
            entity = [{"entity": "tracking_code", "value": code}]
            yield [
                said("inform", code, entity),
                slot("tracking_code", code),
                action(form),
                slot("tracking_code", None),
                slot("requested_slot", "tracking_code"),
                bot("کد درست نیست"),
                action("action_listen"),
            ]
            continue
        intent, answer = asides[number % 7 % len(asides)]
        yield [
            said(intent, f"{intent} {number}"),
            action(answer),
            bot("پاسخ"),
            action(form),
            bot("کد پیگیری؟"),
            action("action_listen"),
        ]
    yield [
        said("inform", CODE, [{"entity": "tracking_code", "value": CODE}]),
        slot("tracking_code", CODE),
        action(form),
        slot("requested_slot", "national_id"),
        bot("کد ملی؟"),
        action("action_listen"),
    ]
    yield [said("greet", "سلام"), action("utter_form_greet"), bot("سلام"), action(form), bot("کد ملی؟"), action("action_listen")]
    yield [
        said("deny", "ولش کن"),
        action("action_cancel_form"),
        loop(None),
        slot("requested_slot", None),
        bot("باشد"),
        action("action_listen"),
    ]
    for number in range(6):
        yield [said("greet", f"سلام {number}"), action("action_greet"), bot("سلام"), action("action_listen")]


@check
async def a_form_held_open_is_read_as_a_window(kit: Kit) -> Dict[str, Any]:
    """A form kept open 200 turns by other questions: the same state and next action as the
    whole session at every event, and a window of the same size at its end as near its start."""
    sizes, in_form, compared, sender = await compared_turn_by_turn(kit, lambda: form_held_open(200))
    inside = [size for _, size in sizes[3:203]]
    assert sizes[-1][0] > 1000, sizes[-1]
    # Windowed inside the form: as small at its 200th turn as at its 30th.
    assert max(inside[30:]) <= max(inside[:40]) and max(inside) < 4 * WINDOW, inside
    assert in_form > 150, in_form
    # The marks (what a window restores: four turns inside a form) stay small beside the events.
    marks, events = (kit.redis.memory_usage(f"window:{kind}:{sender}") for kind in ("tracker-meta", "tracker"))
    assert marks < 0.25 * events, (marks, events)
    return {
        "turns": len(sizes),
        "compared": compared,
        "largest_window": max(inside),
        "marks_bytes": marks,
        "events_bytes": events,
    }


@check
async def a_short_session_is_read_as_before(kit: Kit) -> None:
    """Shorter than the window: byte for byte the tracker a store without a window reads."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import EventVerbosity

    from bot.tracker_store import HamyarTrackerStore

    domain = Domain.load(str(ROOT / "bot" / "domain.yml"))
    common = {**kit.connection, "record_exp": "3600", "sealer": kit.sealer, "key_prefix": "short"}
    windowed = HamyarTrackerStore(domain, window_events=60, **common)
    whole = HamyarTrackerStore(domain, window_events=0, **common)  # the same keys, read whole
    sender = uuid.uuid4().hex
    for turn in list(conversation(8))[:9]:
        tracker = await windowed.get_or_create_tracker(sender, append_action_listen=False)
        for event in turn:
            tracker.update(event)
        await windowed.save(tracker)
        ours, reference = await windowed.retrieve(sender), await whole.retrieve(sender)
        assert json.dumps(ours.current_state(EventVerbosity.ALL)) == json.dumps(reference.current_state(EventVerbosity.ALL))
    assert 40 < kit.redis.llen(f"short:tracker:{sender}") <= 60


@check
async def the_window_setting_is_read(kit: Kit) -> None:
    import os

    from bot.tracker_store import DEFAULT_WINDOW_EVENTS, window_events_setting

    saved = os.environ.pop("TRACKER_WINDOW_EVENTS", None)
    try:
        assert window_events_setting(None) == DEFAULT_WINDOW_EVENTS
        os.environ["TRACKER_WINDOW_EVENTS"] = "45"
        assert window_events_setting(None) == 45 and window_events_setting("80") == 80
        assert window_events_setting("0") == 0
        for wrong in ("5", "many"):
            try:
                window_events_setting(wrong)
            except ValueError:
                continue
            raise AssertionError(f"{wrong!r} was accepted")
    finally:
        os.environ.pop("TRACKER_WINDOW_EVENTS", None)
        if saved is not None:
            os.environ["TRACKER_WINDOW_EVENTS"] = saved


@check
async def a_turn_costs_the_same_at_turn_1000(kit: Kit) -> Dict[str, Any]:
    """1,020 turns of one session with the default window: the Redis traffic and Python calls of
    each turn's retrieve and save (operation counts, not time) and of the policy's prediction on
    the retrieved tracker, for turns 11-20 against the ten turns from 1,000 at the same point of
    the conversation's cycle (in a form or not)."""
    from bot.tracker_store import DEFAULT_WINDOW_EVENTS, HamyarTrackerStore

    policy, domain = rule_policy()
    store = HamyarTrackerStore(
        domain, key_prefix="cost", record_exp="3600", sealer=kit.sealer, window_events=DEFAULT_WINDOW_EVENTS, **kit.connection
    )
    sender = uuid.uuid4().hex
    measured = []
    for number, turn in enumerate(conversation(1020)):
        before = kit.redis.info("stats")
        with count_calls() as calls:
            tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
            for event in turn:
                tracker.update(event)
            await store.save(tracker)
        after = kit.redis.info("stats")
        with count_calls() as predicting:
            policy.predict_action_probabilities(tracker, domain)
        measured.append(
            {
                "turn": number,
                "events_read": len(tracker.events) - len(turn),
                "bytes_to_redis": after["total_net_input_bytes"] - before["total_net_input_bytes"],
                "bytes_from_redis": after["total_net_output_bytes"] - before["total_net_output_bytes"],
                "python_calls": calls.count,
                "prediction_calls": predicting.count,
            }
        )
    late = 11 + CYCLE * ((1000 - 11) // CYCLE + 1)
    return {
        "first": measured[11:21],
        "last": measured[late : late + 10],
        "session_events": kit.redis.llen(f"cost:tracker:{sender}"),
    }


if __name__ == "__main__":
    logging.disable(logging.WARNING)  # RulePolicy logs every state at debug level
    url = (Path(sys.argv[1]) / "redis_url").read_text().strip()
    print("RESULT " + json.dumps(asyncio.run(run_checks(url, CHECKS)), ensure_ascii=False, default=str))
