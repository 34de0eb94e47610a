"""The PersianSpeller component (nlu/components/speller.py): its copies of the training examples
with a slip, read the way a citizen's slip is read. Rasa lives in the Rasa environment:
tests/nlu/speller_checks.py runs there once per module and these tests read what it printed."""

from __future__ import annotations

from collections import Counter

import pytest

from nlu.spelling import is_common_slip
from tests.conftest import checks_in_rasa_environment
from tests.nlu.speller_checks import KEPT, REAL, TRAINING, TYPED


@pytest.fixture(scope="module")
def checks(tmp_path_factory) -> dict:
    return checks_in_rasa_environment("tests.nlu.speller_checks", tmp_path_factory.mktemp("speller"))


def one_slip_apart(example: dict, copy: dict) -> bool:
    changed = [(b[0], a[0]) for a, b in zip(example["tokens"], copy["tokens"]) if a[0] != b[0]]
    return len(changed) == 1 and is_common_slip(*changed[0])


def copies_of(checks: dict) -> list[tuple[dict, dict]]:
    """Each copy beside the training example it was made from (the one word it changed)."""
    examples, copies = checks["three"][: len(TRAINING)], checks["three"][len(TRAINING) :]
    pairs = []
    for copy in copies:
        [original] = [e for e in examples if len(e["tokens"]) == len(copy["tokens"]) and one_slip_apart(e, copy)]
        pairs.append((original, copy))
    return pairs


def test_without_copies_the_training_data_is_left_as_it_is(checks):
    assert [e["text"] for e in checks["none"]] == [t for t, _, _ in TRAINING]


def test_the_copies_have_one_common_slip_each_that_the_speller_does_not_read_back(checks):
    assert checks["three"][: len(TRAINING)] == checks["none"]
    pairs = copies_of(checks)
    for original, copy in pairs:
        [(typed, meant)] = [(b[0], a[0]) for a, b in zip(original["tokens"], copy["tokens"]) if a[0] != b[0]]
        assert is_common_slip(typed, meant)
        assert copy["intent"] == original["intent"]
        # A copy read back whole would be the example again.
        assert copy["read"] != [t[0] for t in original["tokens"]]
    made = Counter(o["text"] for o, _ in pairs)
    # Every slip of «پشتیبانی» is a real word the speller keeps (two of its three draws are the
    # same slip, one example to Rasa); most slips of the others it reads back, and «نه» has no word
    # of four letters.
    assert made[KEPT] == 2
    assert sum(made.values()) < 3 * (len(TRAINING) - 1) and "نه" not in made


def test_a_copy_has_no_entities_and_its_tokens_sit_where_its_text_says(checks):
    for _, copy in copies_of(checks):
        assert copy["entities"] == []
        for text, start, end, _ in copy["tokens"]:
            assert copy["text"][start:end] == text


def test_a_copy_is_read_by_the_speller_as_a_message_would_be(checks):
    for _, copy in copies_of(checks):
        assert [t[3] for t in copy["tokens"]] == copy["read"]


def test_the_copies_are_the_same_at_every_training(checks):
    assert checks["again"] == checks["three"]


def test_a_slip_of_a_real_word_the_training_data_lacks_is_read_as_it_when_so_configured(checks):
    read = {margin: dict(zip(TYPED, words)) for margin, words in checks["real"]["read"].items()}
    assert read["0.0"]["اعتقدا"] == "اعتقاد"  # two letters swapped
    assert read["0.0"]["رفییق"] == "رفیق"  # a letter doubled
    assert read["0.0"]["اعتبا"] == "اعتبار"  # a letter left out
    assert read["0.0"]["اعتبار"] == "اعتبار"  # a real word stays
    # A known word and its slips are the training data's, as before.
    assert read["0.0"]["پرونده"] == read["0.0"]["پروندهه"] == "پرونده"
    # Off by default, and a margin no real word is that much likelier by leaves the slips alone.
    for margin in ("None", "30.0"):
        assert checks["real"]["read"][margin] == ["اعتقدا", "رفییق", "اعتبا", "اعتبار", "پرونده", "پرونده"]
    assert set(REAL) <= set(read["0.0"].values())


def test_the_saved_word_scores_are_the_encoder_files_own(checks):
    for saved, encoder in checks["real"]["scores"]:
        assert saved == pytest.approx(encoder, abs=1e-9)
