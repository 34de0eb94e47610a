"""Hamyar's tracker store (bot/tracker_store.py): Rasa 3.6's own tracker-store tests, adapted, a
save that costs the same at turn 1,000 as at turn 10, and conversations an older deployment kept.

The store runs in the Rasa environment (tests/bot/tracker_store_checks.py) against this session's
redis-server; each check's outcome is asserted here.
"""

from __future__ import annotations

from pathlib import Path
from statistics import median

import pytest

from tests.conftest import checks_in_rasa_environment

RASA_TESTS = [
    "get_or_create",
    "restart_after_retrieval_from_tracker_store",
    "tracker_store_remembers_max_history",
    "create_tracker_store_from_endpoint_config",
    "redis_tracker_store_key_prefix",
    "tracker_serialisation",
    "redis_tracker_store_retrieve_full_tracker",
    "redis_tracker_store_retrieve",
    "redis_tracker_store_merge_trackers_same_session",
    "redis_tracker_store_merge_trackers_overlapping_session",
    "redis_tracker_store_merge_trackers_different_session",
    "additional_events",
    "additional_events_with_session_start",
    "tracker_store_retrieve_with_events_from_previous_sessions",
    "get_or_create_full_tracker",
    "fail_safe_tracker_store_retrieve_full_tracker",
    "tracker_event_diff_engine_event_difference",
]
HAMYAR_CHECKS = [
    "an_empty_tracker_is_kept",
    "keys_are_conversation_ids",
    "behaves_as_rasas_own_store",
    "identifiers_are_sealed_or_masked_at_rest",
    "a_value_of_rasas_own_store_is_read_then_migrated",
    "the_expiry_is_refreshed_on_save",
    "two_saves_that_race_both_land_once",
    "a_turn_saves_in_one_round_trip",
    "a_state_read_before_rasas_store_wrote_is_not_used",
]


def checks_against_redis(module: str, redis_server: str, work: Path, timeout: float) -> dict:
    """The outcome of ``module``'s checks, run in the Rasa environment against ``redis_server``."""
    url = work / "redis_url"
    url.touch(mode=0o600)  # it holds the test Redis's password
    url.write_text(redis_server)
    return checks_in_rasa_environment(module, work, timeout=timeout)


@pytest.fixture(scope="module")
def results(redis_server: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    return checks_against_redis("tests.bot.tracker_store_checks", redis_server, tmp_path_factory.mktemp("tracker_store"), 300)


@pytest.mark.parametrize("name", RASA_TESTS + HAMYAR_CHECKS)
def test_check(results: dict, name: str) -> None:
    assert results[name] == "passed", results[name]


def test_every_check_is_asserted(results: dict) -> None:
    assert set(results) == set(RASA_TESTS + HAMYAR_CHECKS) | {"saves_cost_the_same_at_turn_1000"}


def cost(saves: list[dict], measure: str) -> float:
    return median(save[measure] for save in saves)


@pytest.mark.parametrize("measure", ["bytes_to_redis", "bytes_from_redis", "python_calls"])
def test_a_save_costs_the_same_at_turn_1000_as_at_turn_10(results: dict, measure: str) -> None:
    ours = results["saves_cost_the_same_at_turn_1000"]["hamyar"]
    assert ours["turns"] == 1000
    # Only the turn's own events travel and are serialised (numbers in them grow a digit or two).
    assert cost(ours["last"], measure) <= 1.05 * cost(ours["first"], measure), ours


def test_the_same_measure_sees_rasas_own_store_grow(results: dict) -> None:
    stock = results["saves_cost_the_same_at_turn_1000"]["stock"]
    # By turn 30 a save of Rasa's store moves and merges the whole conversation.
    assert cost(stock["last"], "bytes_to_redis") > 2 * cost(stock["first"], "bytes_to_redis"), stock
    assert cost(stock["last"], "python_calls") > 2 * cost(stock["first"], "python_calls"), stock
