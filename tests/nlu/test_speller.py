"""The PersianSpeller component (nlu/components/speller.py): its copies of the training examples
with a slip, read the way a citizen's slip is read. Rasa lives in the Rasa environment:
tests/nlu/speller_checks.py runs there once per module and these tests read what it printed."""

from __future__ import annotations

import pytest

from nlu.spelling import is_common_slip
from tests.conftest import checks_in_rasa_environment
from tests.nlu.speller_checks import TRAINING


@pytest.fixture(scope="module")
def checks(tmp_path_factory) -> dict:
    return checks_in_rasa_environment("tests.nlu.speller_checks", tmp_path_factory.mktemp("speller"))


def copies_of(checks: dict) -> list[tuple[dict, dict]]:
    """Each copy beside the training example it was made from (the one word it changed)."""
    examples, copies = checks["three"][: len(TRAINING)], checks["three"][len(TRAINING) :]
    pairs = []
    for copy in copies:
        [original] = [e for e in examples if len(e["tokens"]) == len(copy["tokens"]) and sum(a[0] != b[0] for a, b in zip(e["tokens"], copy["tokens"])) == 1]
        pairs.append((original, copy))
    return pairs


def test_without_copies_the_training_data_is_left_as_it_is(checks):
    assert [e["text"] for e in checks["none"]] == [t for t, _, _ in TRAINING]


def test_every_example_with_a_long_word_gets_its_copies_with_one_common_slip(checks):
    assert checks["three"][: len(TRAINING)] == checks["none"]
    pairs = copies_of(checks)
    # «نه» has no word of four letters: nothing to slip.
    assert sorted(o["text"] for o, _ in pairs) == sorted(t for t, _, _ in TRAINING if t != "نه" for _ in range(3))
    for original, copy in pairs:
        [(typed, meant)] = [(b[0], a[0]) for a, b in zip(original["tokens"], copy["tokens"]) if a[0] != b[0]]
        assert is_common_slip(typed, meant)
        assert copy["intent"] == original["intent"]


def test_a_copy_has_no_entities_and_its_tokens_sit_where_its_text_says(checks):
    for _, copy in copies_of(checks):
        assert copy["entities"] == []
        for text, start, end, _ in copy["tokens"]:
            assert copy["text"][start:end] == text


def test_a_copy_is_read_by_the_speller_as_a_message_would_be(checks):
    pairs = copies_of(checks)
    for _, copy in pairs:
        assert [t[3] for t in copy["tokens"]] == copy["read"]
    # The speller undoes most slips; the classifier sees the slips it cannot undo as they are.
    assert any([t[3] for t in c["tokens"]] == [t[0] for t in o["tokens"]] for o, c in pairs)


def test_the_copies_are_the_same_at_every_training(checks):
    assert checks["again"] == checks["three"]
