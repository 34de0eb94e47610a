"""SentenceCountsFeaturizer (nlu/components/ngrams.py). Rasa lives in the Rasa environment:
tests/nlu/ngrams_checks.py runs there once per module and these tests read what it printed."""

from __future__ import annotations

import pytest

from tests.conftest import checks_in_rasa_environment
from tests.nlu.ngrams_checks import ASKED, CONFIGS


@pytest.fixture(scope="module")
def checks(tmp_path_factory) -> dict:
    return checks_in_rasa_environment("tests.nlu.ngrams_checks", tmp_path_factory.mktemp("ngrams"))


@pytest.mark.parametrize("kind", sorted(CONFIGS))
def test_the_sentence_counts_are_rasas(checks, kind):
    # The intent classifier reads only these: the same counts, column for column, as Rasa's
    # featurizer trained on the same data gives.
    for text in ASKED:
        assert checks[kind]["own"][text]["sentence"] == checks[kind]["rasa"][text]["sentence"], text
    assert any(checks[kind]["own"][text]["sentence"] for text in ASKED)


@pytest.mark.parametrize("kind", sorted(CONFIGS))
def test_no_token_is_counted_on_its_own(checks, kind):
    # Rasa's featurizer makes a row per token as well; nothing here reads them.
    assert checks[kind]["rasa"]["سلام پرونده من"]["sequence_rows"] == 3
    assert all(checks[kind]["own"][text]["sequence_rows"] is None for text in ASKED)
