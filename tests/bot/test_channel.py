"""Hamyar's Rasa input channel answers a turn that failed or said nothing as an error.

Served by Sanic in the Rasa environment (tests/bot/channel_checks.py) with stand-ins for
Rasa's turn, so every path is reached without a trained model.
"""

from __future__ import annotations

import pytest

from tests.conftest import checks_in_rasa_environment


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return checks_in_rasa_environment("tests.bot.channel_checks", tmp_path_factory.mktemp("channel"), timeout=300)


def test_a_turn_that_answers_is_passed_on(answers):
    assert answers["answers"] == {"status": 200, "body": {"messages": [{"recipient_id": "test:answers", "text": "سلام"}]}}


def test_a_turn_that_says_nothing_is_a_bad_gateway(answers):
    # Every Hamyar turn answers: silence means an action failed inside Rasa.
    assert answers["silent"] == {"status": 502, "body": {"error": "no_reply", "messages": []}}


def test_a_turn_that_fails_is_an_error_that_names_no_detail(answers):
    assert answers["fails"] == {"status": 500, "body": {"error": "turn_failed"}}
