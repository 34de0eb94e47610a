"""bot/rule_policy.py: RulePolicy's rules found from an index, with exactly RulePolicy's answers.

Run in the Rasa environment (tests/bot/rule_policy_checks.py); asserted here."""

from __future__ import annotations

import pytest

from tests.conftest import checks_in_rasa_environment


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return checks_in_rasa_environment("tests.bot.rule_policy_checks", tmp_path_factory.mktemp("rule_policy"), timeout=600)


def test_the_same_rules_apply_to_every_sequence_of_states(compared):
    assert compared["rules"]["rules"] > 100 and compared["rules"]["rules_for_loop_unhappy_path"] > 10
    assert compared["sequences"]["compared"] > 10_000
    assert compared["sequences"]["different"] == 0, compared["sequences"]["first"]


def test_every_step_of_every_rule_is_predicted_the_same(compared):
    assert compared["predictions"]["compared"] > 200 and compared["predictions"]["different"] == 0


def test_far_fewer_rules_are_tried(compared):
    assert compared["tries"]["indexed"] < compared["tries"]["stock"] / 2


def test_a_prediction_turns_the_tracker_into_states_once(compared):
    # RulePolicy does it twice after a message (by its text, then by its intent).
    made = compared["past_states"]  # predictions by how many times each made the states (JSON keys)
    assert set(made["indexed"]) <= {"0", "1"}, made
    assert made["stock"].get("2", 0) > 50, made
    assert made["indexed"]["1"] == made["stock"]["1"] + made["stock"]["2"], made
