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


def test_the_scorer_gives_the_pipelines_probabilities(checks):
    # Served by nlu/components/scoring.py, not Pipeline.predict_proba (a tenth of Rasa's CPU a
    # typed message); the blocks' scores are summed in another order, so equal to rounding.
    assert checks["scorers"] == {"trained": True, "loaded": True}
    for name in ("trained", "loaded", "alone"):
        rankings = checks["alone"] if name == "alone" else checks["rankings"][name]
        assert len(rankings) == len(checks["reference"])
        for ranking, reference in zip(rankings, checks["reference"]):
            expected = dict(zip(checks["labels"], reference))
            assert {r["name"]: r["confidence"] for r in ranking} == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_each_message_goes_to_the_intent_its_features_were_learnt_with(checks):
    assert [ranking[0]["name"] for ranking in checks["rankings"]["loaded"]] == ["greet", "thank"]


def test_a_button_press_is_left_to_the_regex_handler_and_the_typed_messages_are_still_read(checks):
    # The button's payload gets no intent of its own (RegexMessageHandler gives it the button's);
    # the typed messages on either side keep theirs.
    typed_first, button, typed_second = checks["with_button"]
    assert button == {"intent": {"name": None, "confidence": 0.0}, "ranking": []}
    assert [typed_first["intent"]["name"], typed_second["intent"]["name"]] == ["greet", "thank"]
    assert typed_first["ranking"] == checks["rankings"]["loaded"][0]


def test_the_n_grams_answer_alone_when_sure_and_the_encoder_runs_only_for_the_unsure(checks):
    cascade = checks["cascade"]
    assert cascade["sparse_loaded"]
    assert cascade["with"]["confidences"][0] >= 0.5  # the n-grams' own answer, at the threshold or over
    assert cascade["with"]["intents"][:2] == ["greet", "case_status"]  # the second by its sentence vector
    assert cascade["with"]["encoded"][:2] == [False, True]


def test_a_message_longer_than_every_training_example_goes_to_the_full_model(checks):
    # A long story read whole by the n-grams made them sure of out_of_scope; the encoder reads
    # its two ends, where the request is.
    cascade = checks["cascade"]
    assert cascade["with"]["encoded"][2] and cascade["with"]["batches"] == [2]  # with the unsure one
    assert cascade["with"]["confidences"][2] == cascade["without"]["confidences"][2]  # the full model's answer


def test_without_sparse_confident_every_typed_message_is_encoded_in_one_batch(checks):
    without = checks["cascade"]["without"]
    assert without["encoded"] == [True, True, True] and without["batches"] == [3]
    assert without["intents"][:2] == ["greet", "case_status"]
