"""The TfidfIntentClassifier (nlu/components/classifier.py). Rasa lives in the Rasa environment:
tests/nlu/classifier_checks.py runs there once per module and these tests read what it printed."""

from __future__ import annotations

import pytest

from tests.conftest import checks_in_rasa_environment


@pytest.fixture(scope="module")
def checks(tmp_path_factory) -> dict:
    return checks_in_rasa_environment("tests.nlu.classifier_checks", tmp_path_factory.mktemp("classifier"))


def test_the_weights_are_laid_out_for_sparse_messages_after_training_and_after_loading(checks):
    # Row by row, every parse copied the whole weight matrix before scoring a message.
    assert checks["column_major"] == {"trained": True, "loaded": True}


def test_the_layout_changes_no_probability(checks):
    for name in ("trained", "loaded"):
        for ranking, reference in zip(checks["rankings"][name], checks["reference"]):
            assert {r["name"]: r["confidence"] for r in ranking} == dict(zip(checks["labels"], reference))


def test_each_message_goes_to_the_intent_its_features_were_learnt_with(checks):
    assert [ranking[0]["name"] for ranking in checks["rankings"]["loaded"]] == ["greet", "thank"]


def test_a_button_press_is_left_to_the_regex_handler_and_the_typed_messages_are_still_read(checks):
    # The button's payload gets no intent of its own (RegexMessageHandler gives it the button's);
    # the typed messages on either side keep theirs.
    typed_first, button, typed_second = checks["with_button"]
    assert button == {"intent": {"name": None, "confidence": 0.0}, "ranking": []}
    assert [typed_first["intent"]["name"], typed_second["intent"]["name"]] == ["greet", "thank"]
    assert typed_first["ranking"] == checks["rankings"]["loaded"][0]
