"""A long session read as a window (bot/tracker_store.py): the same state and next action as the
whole session, and a turn that costs the same at turn 1,000 as at turn 10.

The checks run in the Rasa environment (tests/bot/tracker_window_checks.py) against this
session's redis-server; each check's outcome is asserted here.
"""

from __future__ import annotations

from statistics import median

import pytest

from tests.bot.test_tracker_store import checks_against_redis

CHECKS = ["a_short_session_is_read_as_before", "the_window_setting_is_read"]


@pytest.fixture(scope="module")
def results(redis_server: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    return checks_against_redis("tests.bot.tracker_window_checks", redis_server, tmp_path_factory.mktemp("tracker_window"), 600)


@pytest.mark.parametrize("name", CHECKS)
def test_check(results: dict, name: str) -> None:
    assert results[name] == "passed", results[name]


def test_a_long_session_behaves_as_the_whole_session(results: dict) -> None:
    outcome = results["a_long_session_behaves_as_the_whole_session"]
    assert isinstance(outcome, dict), outcome
    # Every turn compared, at each message and action: hundreds of predictions.
    assert outcome["turns"] > 150 and outcome["compared"] > 400, outcome


@pytest.mark.parametrize("measure", ["bytes_to_redis", "bytes_from_redis", "python_calls", "prediction_calls"])
def test_a_turn_costs_the_same_at_turn_1000_as_at_turn_10(results: dict, measure: str) -> None:
    figures = results["a_turn_costs_the_same_at_turn_1000"]
    assert isinstance(figures, dict), figures
    assert figures["session_events"] > 6000, figures["session_events"]
    first, last = (median(turn[measure] for turn in figures[part]) for part in ("first", "last"))
    assert last <= 1.2 * first, (measure, first, last)


def test_a_form_held_open_is_read_as_a_window(results: dict) -> None:
    outcome = results["a_form_held_open_is_read_as_a_window"]
    assert isinstance(outcome, dict), outcome
    assert outcome["turns"] > 200 and outcome["compared"] > 600, outcome


def test_every_check_is_asserted(results: dict) -> None:
    assert set(results) == set(CHECKS) | {
        "a_long_session_behaves_as_the_whole_session",
        "a_form_held_open_is_read_as_a_window",
        "a_turn_costs_the_same_at_turn_1000",
    }
