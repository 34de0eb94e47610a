"""Word error rate over normalised Persian words (bench/speech_in.py)."""

from nlu.word_errors import word_error_rate, word_errors, words


def test_spelling_variants_of_one_word_are_not_errors():
    assert words("می‌خواهم با اپراتور، صحبت كنم؟") == words("میخواهم با اپراتور صحبت کنم")
    assert word_errors("پرونده من چی شد", "پرونده من چی شد؟") == 0


def test_substitutions_drops_and_additions_each_count_one():
    assert word_errors("پرونده من چی شد", "پرونده تو چی شد") == 1
    assert word_errors("پرونده من چی شد", "پرونده چی شد") == 1
    assert word_errors("سلام", "سلام سلام") == 1
    # A swap is two words wrong, not one edit as in the speller's distance.
    assert word_errors("من چی", "چی من") == 2


def test_the_rate_is_over_all_reference_words():
    assert word_error_rate([("سلام", "سلام"), ("پرونده من چی شد", "ترمان درمان چیشورد")]) == 4 / 5
    assert word_error_rate([("سلام", "")]) == 1.0
    assert word_error_rate([]) == 0.0
