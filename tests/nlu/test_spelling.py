import random

import pytest

from nlu.persian import normalize
from nlu.spelling import (
    Speller,
    edit_distance,
    is_common_slip,
    latin_skeleton,
    latin_spelling,
    one_edit_away,
    persian_skeletons,
    slip,
)

TRAINING = [
    "سلام وقت بخیر",
    "سلام همیار",
    "سلام",
    "پرونده من کجاست",
    "وضعیت پرونده من چیه",
    "مرحله قبلی رو بگو",
    "برگرد مرحله قبلی",
    "ممنون از راهنمایی",
    "خداحافظ",
    "mamnoon",
    "merci",
    "site bimeh ghat shode",
    "شرایط بازنشستگی",
    "درخواستم کجاست",
    "گواهینامه‌ام آماده شد",
    "امید دارم",
    "با اپراتور صحبت کنم",
    "کنسل کن",
]
# Real words of Persian that are one edit from a training word but not in the training data.
LEXICON = ["سهام", "قلبی", "سالم", "پیام", "کجا", "ناامید", "سالمش"]


@pytest.fixture
def speller() -> Speller:
    return Speller.from_sentences([normalize(s).split() for s in TRAINING], LEXICON)


def test_known_words_never_change(speller):
    assert speller.correct_sentence(["سلام", "همیار"]) == ["سلام", "همیار"]
    assert speller.correct("mamnoon") == "mamnoon"


@pytest.mark.parametrize(
    "typo, word",
    [("سلم", "سلام"), (normalize("سلللللام"), "سلام"), ("پرودنه", "پرونده"), ("خداحفظ", "خداحافظ"), ("پروندهه", "پرونده")],
)
def test_a_persian_typo_becomes_the_known_word(speller, typo, word):
    assert speller.correct(typo) == word


def test_a_real_word_the_data_lacks_is_not_a_typo(speller):
    # «سهام» (shares) is one edit from «سلام» but is a word of its own.
    assert speller.correct_sentence(["قیمت", "سهام", "خودرو"]) == ["قیمت", "سهام", "خودرو"]


def test_a_typo_that_makes_a_real_word_is_read_by_its_neighbours(speller):
    assert speller.correct_sentence(["مرحله", "قلبی", "رو", "بگو"]) == ["مرحله", "قبلی", "رو", "بگو"]
    assert speller.correct_sentence(["قلبی"]) == ["قلبی"]  # no context, no change


@pytest.mark.parametrize(
    "latin, word",
    [
        ("vaziat", "وضعیت"),
        ("parvande", "پرونده"),
        ("parvandeh", "پرونده"),
        ("sharayet", "شرایط"),
        ("bazneshastegi", "بازنشستگی"),
        ("salam", "سلام"),
        ("khodahafez", "خداحافظ"),
        ("Ghabli", "قبلی"),
        ("gavahinamam", "گواهینامهام"),  # the «ه» before an ending is the vowel e
    ],
)
def test_finglish_is_read_by_its_consonants(speller, latin, word):
    assert speller.correct(latin) == word


def test_a_doubled_letter_and_a_typo_in_one_word(speller):
    assert speller.correct(normalize("پرووونه")) == "پرونده"  # «پروونه»: a double and a letter missing


def test_a_latin_typo_becomes_the_known_latin_word(speller):
    assert speller.correct("mamnon") == "mamnoon"
    assert speller.correct("mrci") == "merci"


@pytest.mark.parametrize("word", ["na", "ok", "hi", "ab", "12345", "تست۱", "x"])
def test_short_or_unreadable_words_are_left_alone(speller, word):
    assert speller.correct(word) == word


def test_an_unrelated_word_is_left_alone(speller):
    assert speller.correct("برنج") == "برنج"
    assert speller.correct("football") == "football"


def test_skeletons():
    assert latin_skeleton("darkhastam") == "drxstm"
    assert "drxstm" in persian_skeletons("درخواستم")
    assert persian_skeletons("راه") == {"r", "rh"}  # rah or ra-e
    assert latin_skeleton("kabbab") == "kbb"  # a doubled letter is one sound
    assert latin_spelling("salam") == "سالام"


def test_edit_distance_counts_a_swap_as_one():
    assert edit_distance("درست", "دسرت") == 1
    assert edit_distance("سلام", "سام") == 1
    assert edit_distance("", "abc") == 3
    assert "سام" in one_edit_away("سلام") and "سلام" not in one_edit_away("سلام")


@pytest.mark.parametrize(
    "typed, meant",
    [
        ("پشیین", "پیشین"),  # two neighbouring letters swapped
        ("بعا", "بعدا"),  # a letter left out
        ("سلان", "سلام"),  # «ن» is the key beside «م»
        ("صبت", "ثبت"),  # a letter that sounds the same
        ("سلامم", "سلام"),  # a letter doubled
        ("پرونده", "پروندهد"),  # a letter left out at the end
        ("kansek", "kansel"),  # QWERTY neighbours
    ],
)
def test_common_slips(typed, meant):
    assert is_common_slip(typed, meant)


@pytest.mark.parametrize("typed, meant", [("پشیین", "پایین"), ("بعا", "با"), ("سلاگ", "سلام"), ("abcd", "abmd")])
def test_rarer_edits_are_not_common_slips(typed, meant):
    assert not is_common_slip(typed, meant)


@pytest.mark.parametrize("word", ["پرونده", "سلام", "اپراتور", "kansel", "بیمه‌ام"])
def test_a_slip_is_one_of_the_common_slips(word):
    rng = random.Random(7)
    slips = [slip(word, rng) for _ in range(200)]
    assert all(typed != word and is_common_slip(typed, word) for typed in slips)
    # Each kind is drawn: a letter left out, one added, two swapped, one changed for another.
    assert {len(t) - len(word) for t in slips} == {-1, 0, 1}
    assert any(sorted(t) == sorted(word) for t in slips) and any(sorted(t) != sorted(word) and len(t) == len(word) for t in slips)


def test_a_slip_is_drawn_from_the_generator_it_is_given():
    assert [slip("پرونده", random.Random(3)) for _ in range(3)] == [slip("پرونده", random.Random(3))] * 3
    assert slip("123", random.Random(3)) == "123"


def test_a_common_slip_beats_a_more_frequent_word():
    # «پشیین» is «پیشین» (earlier) with two letters swapped, or «پایین» (down) with a far key.
    speller = Speller({"پایین": 9, "پیشین": 1})
    assert speller.correct("پشیین") == "پیشین"


def test_a_pair_seen_in_training_beats_a_common_slip():
    speller = Speller({"پایین": 9, "پیشین": 1, "صفحه": 3}, pairs=frozenset({("صفحه", "پایین")}))
    assert speller.correct_sentence(["صفحه", "پشیین"]) == ["صفحه", "پایین"]


def test_a_real_word_typed_with_a_doubled_letter_is_that_word(speller):
    # «سهام» (shares) is in the word list, not the training data; «سهام» is one edit from «سلام».
    assert speller.correct_sentence(["قیمت", "سههام"]) == ["قیمت", "سهام"]


def test_finglish_with_two_letters_swapped(speller):
    # «parvadne» reads p-r-d-n; no known word has that skeleton, «پرونده» has p-r-n-d.
    assert speller.correct("parvadne") == "پرونده"
    assert speller.correct("sm") == "sm"  # too few consonants to guess at


@pytest.mark.parametrize("latin, word", [("kanel", "کنسل"), ("kasel", "کنسل"), ("ansel", "کنسل"), ("parvnde", "پرونده")])
def test_finglish_with_a_consonant_left_out(speller, latin, word):
    # «kanel» reads k-n-l; no known word has it, «کنسل» (k-n-s-l) has it with one more.
    assert speller.correct(latin) == word


def test_a_short_finglish_word_is_not_lengthened(speller):
    # Two consonants leave too many words one consonant longer: «sam» (s-m) is not «سلام».
    assert speller.correct("sam") == "sam"


def test_a_real_word_is_read_by_a_neighbour_that_was_a_slip_itself(speller):
    # «سالم» (healthy) is «سلام» only beside «وقت»; here «وقت» is typed «وققت».
    assert speller.correct_sentence(["سالم", "وققت", "بخیر"]) == ["سلام", "وقت", "بخیر"]
    assert speller.correct_sentence(["سالم", "وققت"]) == ["سلام", "وقت"]


def test_a_doubled_real_word_is_still_read_by_its_neighbours(speller):
    # «سسالم» undoubled is «سالم» (healthy), but «سلام وقت» is a pair of the training data.
    assert speller.correct_sentence(["سسالم", "وقت", "بخیر"]) == ["سلام", "وقت", "بخیر"]


def test_a_real_word_with_a_doubled_letter_of_its_own_stays(speller):
    # «ناامید» (hopeless) is a real word; undoing its «اا» and dropping «ن» gives the known
    # «امید» (hope), the opposite meaning.
    assert speller.correct_sentence(["ناامید", "دارم"]) == ["ناامید", "دارم"]


@pytest.mark.parametrize(
    "typo, word",
    [
        ("اپراتروم", "اپراتور"),  # two letters swapped, and «م» (my)
        ("قبلیشو", "قبلی"),  # a known word with «شو»
        ("قبیلشو", "قبلی"),  # both
        ("درخاستمو", "درخواستم"),  # the known form with its ending wins over the bare stem
    ],
)
def test_a_slip_in_a_word_with_a_spoken_ending(speller, typo, word):
    assert speller.correct(typo) == word


def test_a_short_stem_with_an_ending_is_not_guessed(speller):
    assert speller.correct("سامشو") == "سامشو"  # «سام» (then «شو») has too many neighbours to tell


def test_a_real_word_with_an_ending_stays(speller):
    # «سالمش» (it healthy) is «سالم» and «ش»; «سالم» is a slip of «سلام» only in a greeting.
    assert speller.correct("سالمش") == "سالمش"


# How common words are (natural log), as the encoder's tokenizer scores them.
LOG_PROBS = {"سلام": -11.8, "قبلی": -13.4, "سالم": -13.0, "قلبی": -14.0, "سهام": -30.0, "سام": -25.0}


def scored_speller(rare_margin: float, **changed: float) -> Speller:
    scores = {**LOG_PROBS, **changed}
    return Speller.from_sentences(
        [normalize(s).split() for s in TRAINING], [*LEXICON, "سام"], lambda w: scores.get(w, -20.0), rare_margin=rare_margin
    )


def test_a_rare_real_word_a_common_slip_from_a_far_likelier_known_word_is_read_as_it():
    speller = scored_speller(7)
    # «سام» (a name) is «سلام» with a letter left out, and 13 points less likely.
    assert speller.correct("سام") == "سلام"
    assert speller.correct_sentence(["سالم", "قلبی"]) == ["سالم", "قلبی"]  # about as likely: left alone


def test_a_real_word_is_read_as_a_slip_only_by_the_margin_and_a_common_slip():
    assert scored_speller(7, سالم=-19.0).correct("سالم") == "سلام"
    assert scored_speller(7, سالم=-18.0).correct("سالم") == "سالم"
    assert scored_speller(0, سالم=-30.0).correct("سالم") == "سالم"
    # «سهام» (shares) is «سلام» with «ه» for «ل», keys far apart: rare as it is, it stays.
    assert scored_speller(7).correct("سهام") == "سهام"


def test_without_word_scores_no_real_word_is_read_as_a_slip_without_context():
    assert (
        Speller.from_sentences([normalize(s).split() for s in TRAINING], [*LEXICON, "سام"], rare_margin=7).correct("سام") == "سام"
    )


def real_word_speller(real_margin: float | None, **changed: float) -> Speller:
    """The training data's speller with a word list of real words it lacks, scored."""
    scores = {"اعتقاد": -14.0, "اعتقادا": -19.0, "انتقاد": -13.0, "اعتقدا": -24.0, "سردم": -16.0, "سرده": -15.0, **changed}
    lexicon = [*LEXICON, "اعتقاد", "انتقاد", "اعتقادا", "سرده"]
    return Speller.from_sentences(
        [normalize(s).split() for s in TRAINING], lexicon, lambda w: scores.get(w, -25.0), real_margin=real_margin
    )


def test_a_word_neither_known_nor_real_is_read_as_the_real_word_a_common_slip_away():
    # «اعتقدا» is «اعتقاد» with two letters swapped and «اعتقادا» with a letter left out, both
    # common slips: the likelier word wins. «انتقاد» is two edits away.
    assert real_word_speller(0).correct("اعتقدا") == "اعتقاد"
    assert real_word_speller(0, اعتقادا=-10.0).correct("اعتقدا") == "اعتقادا"
    # «سردا» is «سرده» with a far key for «ه», not a common slip; «سردم» is not in the list.
    assert real_word_speller(0, سرده=-15.0).correct("سردا") == "سرده"
    assert real_word_speller(0).correct("اعتقادد") == "اعتقاد"  # a doubled letter undone


def test_a_real_word_is_read_only_by_the_margin_and_never_replaces_a_real_or_known_word():
    assert real_word_speller(9).correct("اعتقدا") == "اعتقاد"  # 10 points likelier
    assert real_word_speller(11).correct("اعتقدا") == "اعتقدا"
    assert real_word_speller(None).correct("اعتقدا") == "اعتقدا"  # off
    assert real_word_speller(0).correct("سهام") == "سهام"  # real, though «سلام» is known
    assert real_word_speller(0).correct("انتقاد") == "انتقاد"
    assert real_word_speller(0).correct("پرودنه") == "پرونده"  # the training data's words come first


def test_without_word_scores_no_unknown_word_is_read_as_a_real_word():
    speller = Speller.from_sentences([normalize(s).split() for s in TRAINING], [*LEXICON, "اعتقاد"], real_margin=0)
    assert speller.correct("اعتقدا") == "اعتقدا"


def test_a_word_longer_than_any_word_is_left_as_typed():
    # One letter added to a long known word would be read back; past max_length nothing is
    # searched at all (a 4,096-letter word took minutes).
    long_word = "پرونده" * 9  # 54 letters
    speller = Speller.from_sentences([[long_word[:51]], [long_word[:53]]])
    assert speller.correct(long_word[:50] + "ی") == long_word[:51]  # 51 letters: searched
    assert speller.correct(long_word[:52] + "ی") == long_word[:52] + "ی"  # 53 letters: left alone
    huge = "پرونده" * 683  # 4,098 letters
    assert speller.correct_sentence([huge, "پرودنه"]) == [huge, "پرودنه"]
