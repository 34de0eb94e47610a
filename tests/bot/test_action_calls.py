"""bot/action_calls.py and its patch in bot/serve.py: each call to the action server carries the
tracker without what no action reads, and the actions read from it what they read from Rasa's.

The body Rasa builds is made in the Rasa environment (tests/bot/action_call_checks.py)."""

from __future__ import annotations

import asyncio
import copy

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.aside import form_left_this_turn
from actions.common import latest_user_text
from actions.general import ActionRepeat
from actions.handover import misses_before
from actions.identity_check import slot_before_turn
from actions.second_thoughts import answered_last_turn
from actions.trust import requester_of, session_of
from bot.action_calls import UNREAD_EVENTS, lighter_event
from tests.conftest import checks_in_rasa_environment


def lighter_tracker(state: dict) -> dict:
    """Rasa's own state with what no action reads left out, event by event: what the patch
    must send."""
    return {**state, "events": [lighter_event(e) for e in state["events"] if e["event"] not in UNREAD_EVENTS]}


@pytest.fixture(scope="module")
def called(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return checks_in_rasa_environment("tests.bot.action_call_checks", tmp_path_factory.mktemp("action_calls"), timeout=300)


def test_the_patch_is_applied_once_and_changes_only_the_tracker_events(called):
    assert called["wrapped_once"] and called["same_each_call"]
    stock, patched = called["stock"], called["patched"]
    assert {k: v for k, v in stock.items() if k != "tracker"} == {k: v for k, v in patched.items() if k != "tracker"}
    assert "domain" in patched  # the form validators read its slot mappings
    assert {k: v for k, v in stock["tracker"].items() if k != "events"} == {
        k: v for k, v in patched["tracker"].items() if k != "events"
    }
    # The latest message keeps its whole parse (rasa-sdk reads its ranking).
    assert "intent_ranking" in patched["tracker"]["latest_message"]
    # Made directly, it is exactly Rasa's state with what no action reads left out.
    assert patched["tracker"] == lighter_tracker(stock["tracker"])


def test_what_no_action_reads_is_left_out(called):
    stock, patched = called["stock"]["tracker"]["events"], called["patched"]["tracker"]["events"]
    kinds = [e["event"] for e in stock]
    assert "user_featurization" in kinds and "user_featurization" not in [e["event"] for e in patched]
    assert [k for k in kinds if k != "user_featurization"] == [e["event"] for e in patched]
    assert all("model_id" in e.get("metadata", {}) for e in stock)
    assert not any("model_id" in e.get("metadata", {}) or "assistant_id" in e.get("metadata", {}) for e in patched)
    assert any("intent_ranking" in e["parse_data"] for e in stock if e["event"] == "user")
    assert not any({"intent_ranking", "text_tokens"} & e["parse_data"].keys() for e in patched if e["event"] == "user")
    assert called["patched_bytes"] < called["stock_bytes"] * 0.9


def _read(event: dict) -> dict:
    """What an action reads of an event."""
    data = event.get("data") or {}
    parse = event.get("parse_data") or {}
    metadata = {k: v for k, v in (event.get("metadata") or {}).items() if k not in ("model_id", "assistant_id")}
    return {
        **{key: event.get(key) for key in ("event", "name", "value", "text", "timestamp", "input_channel", "policy")},
        "buttons": data.get("buttons"),
        "custom": data.get("custom"),
        "intent": parse.get("intent"),
        "entities": parse.get("entities"),
        "metadata": metadata,
    }


def test_every_event_an_action_reads_reads_the_same(called):
    stock = [e for e in called["stock"]["tracker"]["events"] if e["event"] != "user_featurization"]
    assert [_read(e) for e in stock] == [_read(e) for e in called["patched"]["tracker"]["events"]]


def test_the_actions_helpers_answer_the_same_on_both(called):
    trackers = [Tracker.from_dict(called[kind]["tracker"]) for kind in ("stock", "patched")]
    answers = []
    for tracker in trackers:
        dispatcher = CollectingDispatcher()
        asyncio.run(ActionRepeat().run(dispatcher, tracker, {}))
        answers.append(
            {
                "slots": tracker.slots,
                "latest_message": tracker.latest_message,
                "active_loop": tracker.active_loop_name,
                "latest_user_text": latest_user_text(tracker),
                "misses_before": misses_before(tracker),
                "slot_before_turn": slot_before_turn(tracker, "requested_slot"),
                "form_left": form_left_this_turn(tracker),
                "session": session_of(tracker),
                "requester": requester_of(tracker),
                "answered": answered_last_turn(tracker.events, "requested_slot"),
                "slots_to_validate": tracker.slots_to_validate(),
                "repeated": dispatcher.messages,
                "applied": [_read(e) for e in tracker.applied_events() if e["event"] != "user_featurization"],
            }
        )
    assert answers[0] == answers[1]
    # The conversation exercises them: a form under way, a slot set last turn, a session start.
    assert answers[1]["active_loop"] == "case_status_form" and answers[1]["slot_before_turn"] == "tracking_code"
    assert answers[1]["session"] != "-" and answers[1]["answered"]


def test_an_event_given_is_left_as_it_was():
    events = [
        {"event": "action", "name": "action_listen", "metadata": {"model_id": "m", "assistant_id": "a"}},
        {"event": "user", "text": "سلام", "parse_data": {"intent": {"name": "greet"}, "intent_ranking": []}},
        {
            "event": "bot",
            "text": "درود",
            "data": {"buttons": None, "custom": {"x": 1}},
            "metadata": {"utter_action": "u", "model_id": "m"},
        },
    ]
    before = copy.deepcopy(events)
    light = [lighter_event(event) for event in events]
    assert events == before
    assert light == [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "سلام", "parse_data": {"intent": {"name": "greet"}}},
        {"event": "bot", "text": "درود", "data": {"custom": {"x": 1}}, "metadata": {"utter_action": "u"}},
    ]
