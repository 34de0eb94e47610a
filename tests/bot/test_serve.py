"""bot/serve.py: Rasa's check of action server responses, with its validator built once, its
calls to the action server over one kept session, and a loaded agent frozen out of full garbage
collections.

Run in the Rasa environment (tests/bot/validator_checks.py); asserted here."""

from __future__ import annotations

import pytest

from tests.conftest import checks_in_rasa_environment


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return checks_in_rasa_environment("tests.bot.validator_checks", tmp_path_factory.mktemp("validator"), timeout=300)


def test_the_patch_is_applied_once(checked):
    assert checked["patched"] and checked["wrapped_once"]


def test_the_schema_is_no_longer_checked_on_every_response(checked):
    assert checked["schema_checks"]["stock"] == 50  # Rasa's own: once per response
    assert checked["schema_checks"]["patched"] == 0


def test_a_valid_response_is_accepted_and_an_invalid_one_refused_as_rasa_refuses_it(checked):
    assert checked["valid_accepted"]
    assert checked["refusal"]["patched"] is not None
    assert checked["refusal"]["patched"] == checked["refusal"]["stock"]
    assert "Failed to validate Action server response" in checked["refusal"]["patched"]


def test_the_compiled_check_accepts_exactly_what_rasas_schema_accepts(checked):
    verdicts = checked["verdicts"]
    assert [v["kept"] for v in verdicts] == [v["rasa"] for v in verdicts], verdicts
    # Both sides present, so the comparison can fail either way.
    assert {v["rasa"] for v in verdicts} == {True, False}


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return checks_in_rasa_environment("tests.bot.endpoint_checks", tmp_path_factory.mktemp("endpoint"), timeout=300)


def test_action_calls_reuse_one_connection(endpoint):
    calls = list(range(5))
    for kind, connections in (("stock", 5), ("patched", 1), ("again", 1)):  # Rasa's own: one a call
        assert (endpoint[kind]["connections"], endpoint[kind]["echoes"]) == (connections, calls)
    assert endpoint["wrapped_once"]


def test_action_calls_send_the_same_json_with_persian_as_utf8(endpoint):
    # ujson writes the tracker in half json.dumps's time; the action server reads what was sent.
    assert endpoint["stock"]["read_back"] and endpoint["patched"]["read_back"]
    assert not endpoint["stock"]["persian_as_utf8"] and endpoint["patched"]["persian_as_utf8"]


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return checks_in_rasa_environment("tests.bot.gc_checks", tmp_path_factory.mktemp("gc"), timeout=300)


def test_what_a_loaded_agent_holds_is_left_out_of_full_collections(collected):
    assert collected["stock"]["frozen"] == 0
    assert collected["patched"]["frozen"] > 100_000  # Rasa and TensorFlow's objects, at least
    # A full collection walks only what is not frozen: a small part of what it walked before.
    assert collected["patched"]["ms"] < collected["stock"]["ms"] / 5
    assert collected["wrapped_once"]
