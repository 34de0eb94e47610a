"""Reading a misspelt or Latin-script (Finglish) word as the training vocabulary's word.

Plain Python with no dependencies, so both environments can use and test it. The NLU component
``nlu.components.speller`` builds a ``Speller`` from the training data's words and asks it about
every word it has not seen; known words are never changed.

- A Persian word one edit away (a letter dropped, added, changed, or two swapped) from known
  words becomes the most frequent of them: «پرودنه» -> «پرونده». A real word of Persian that the
  training data lacks is not a typo and stays as it is: «سهام» (shares) is not «سلام». Real words
  come from a Persian word list (Debian's hunspell dictionary, fully inflected); only those one
  edit from a training word are kept, since only they could be mistaken. Such a word is still read
  as the training word when that is far more common and a common slip away: «عضوت», a rare word,
  is «عضویت» (membership).
- A slip in a word with a spoken ending is read by its stem: «اپراتروم» -> «اپراتور».
- A Latin word is read by its consonants, the way people write Persian in Latin letters:
  «parvandam» and «پرونده‌ام» share the skeleton p-r-n-d-m. Among known words with that skeleton
  the one closest to a letter-by-letter reading of the vowels wins, then the most frequent.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Container, Hashable, Iterable, Mapping, Sequence

ZWNJ = "\u200c"
PERSIAN_LETTERS = "آابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیئء"
_PERSIAN_WORD = re.compile(f"[{PERSIAN_LETTERS}{ZWNJ}]+")
_LATIN_WORD = re.compile(r"[a-z']+")

# Persian letters by the sound a Latin writer gives them. Letters that are vowels as often as
# consonants (ا و ی ع and the hamzas) are left out of the skeleton, and so are Latin vowels, v,
# w and y: «وضعیت» and «vaziat» both read z-t.
_PERSIAN_SOUND = {
    "ب": "b", "پ": "p", "ت": "t", "ط": "t", "ث": "s", "س": "s", "ص": "s", "ج": "j", "چ": "c",
    "ح": "h", "ه": "h", "خ": "x", "د": "d", "ذ": "z", "ز": "z", "ض": "z", "ظ": "z", "ر": "r",
    "ژ": "Z", "ش": "S", "غ": "q", "ق": "q", "ف": "f", "ک": "k", "گ": "g", "ل": "l", "م": "m",
    "ن": "n",
}  # fmt: skip
_LATIN_DIGRAPHS = {"kh": "x", "sh": "S", "ch": "c", "zh": "Z", "gh": "q", "ph": "f"}
_LATIN_SOUND = {
    "b": "b", "p": "p", "t": "t", "s": "s", "j": "j", "h": "h", "x": "x", "d": "d", "z": "z",
    "r": "r", "q": "q", "f": "f", "k": "k", "c": "k", "g": "g", "l": "l", "m": "m", "n": "n",
}  # fmt: skip
# A letter-by-letter Persian spelling of a Latin word, vowels included, to rank candidates.
_LATIN_SPELLING = [
    ("kh", "خ"), ("sh", "ش"), ("ch", "چ"), ("zh", "ژ"), ("gh", "ق"), ("ph", "ف"), ("oo", "و"),
    ("ou", "و"), ("ee", "ی"), ("aa", "ا"), ("ei", "ی"), ("b", "ب"), ("p", "پ"), ("t", "ت"),
    ("s", "س"), ("j", "ج"), ("h", "ه"), ("x", "خ"), ("d", "د"), ("z", "ز"), ("r", "ر"), ("q", "ق"),
    ("f", "ف"), ("k", "ک"), ("c", "ک"), ("g", "گ"), ("l", "ل"), ("m", "م"), ("n", "ن"), ("v", "و"),
    ("w", "و"), ("y", "ی"), ("a", "ا"), ("i", "ی"), ("o", "و"), ("u", "و"), ("e", ""), ("'", ""),
]  # fmt: skip


def persian_skeletons(word: str) -> set[str]:
    """The consonant skeletons a Persian word may be written with in Latin letters.

    A «ه» at the end of a word or before an alef (an ending) is usually the vowel e («پرونده»,
    parvande; «گواهینامهام», gavahinamam) but sometimes h («راه», rah), so it gives both.
    """
    skeletons = {""}
    for i, ch in enumerate(word):
        sound = _PERSIAN_SOUND.get(ch, "")
        after = word[i + 1 : i + 2]
        if ch == "ه" and i > 0 and after in ("", "ا", ZWNJ) and len(skeletons) < 8:
            skeletons |= {s + sound for s in skeletons}
        else:
            skeletons = {s + sound for s in skeletons}
    return skeletons


def latin_skeleton(word: str) -> str:
    """The consonant skeleton of a Latin-script word: «darkhastam» -> d-r-x-s-t-m."""
    out, i = [], 0
    while i < len(word):
        pair = word[i : i + 2]
        if pair in _LATIN_DIGRAPHS:
            out.append(_LATIN_DIGRAPHS[pair])
            i += 2
            continue
        sound = _LATIN_SOUND.get(word[i], "")
        if sound and not (out and out[-1] == sound and word[i - 1] == word[i]):  # «bb» is one b
            out.append(sound)
        i += 1
    return "".join(out)


def latin_spelling(word: str) -> str:
    """A rough Persian spelling of a Latin word, vowels included: «salam» -> «سالام»."""
    out, i = [], 0
    while i < len(word):
        for latin, persian in _LATIN_SPELLING:
            if word.startswith(latin, i):
                out.append(persian)
                i += len(latin)
                break
        else:
            i += 1
    spelt = "".join(out)
    return spelt + "ه" if word.endswith("e") else spelt


def edit_distance(a: Sequence[Hashable], b: Sequence[Hashable], swaps: bool = True) -> int:
    """Levenshtein distance (of letters, or of words) with adjacent swaps counted as one edit,
    unless not ``swaps``."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if swaps and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, previous2[j - 2] + 1)
            current.append(cost)
        previous2, previous = previous, current
    return previous[-1]


def one_edit_away(word: str, alphabet: str = PERSIAN_LETTERS) -> set[str]:
    """Every string one drop, swap, change or insertion away from ``word``."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    drops = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    changes = {a + c + b[1:] for a, b in splits if b for c in alphabet}
    inserts = {a + c + b for a, b in splits for c in alphabet}
    return (drops | swaps | changes | inserts) - {word}


# Keyboard rows (the standard Persian layout of phones and PCs, and QWERTY): a finger that
# misses its key hits a neighbour in the same row.
_KEYBOARD_ROWS = ("ضصثقفغعهخحجچ", "شسیبلاتنمکگ", "ظطزرذدپو", "qwertyuiop", "asdfghjkl", "zxcvbnm")
# Letters written for one another by sound, the spelling mistakes of people who read little:
# «صبت» for «ثبت», «زحمت» for «ذحمت».
_SAME_SOUND = ("تط", "ثسص", "حه", "ذزضظ", "غق", "ءئ", "اآ")


def _close_letters() -> frozenset[tuple[str, str]]:
    pairs = {(a, b) for row in _KEYBOARD_ROWS for a, b in zip(row, row[1:])}
    pairs |= {(a, b) for group in _SAME_SOUND for a in group for b in group if a != b}
    return frozenset(pairs | {(b, a) for a, b in pairs})


CLOSE_LETTERS = _close_letters()


def is_common_slip(typed: str, meant: str) -> bool:
    """Whether ``typed`` is ``meant`` with one of the slips people make most: a letter left out,
    two neighbouring letters swapped, a neighbouring key or a same-sounding letter for the right
    one, or an extra key next to a letter typed beside it. Other single edits are rarer."""
    if len(meant) == len(typed) + 1:
        return True  # a letter left out
    if len(typed) == len(meant) + 1:  # a letter added: next to a neighbouring key, or doubled
        i = next((k for k in range(len(meant)) if typed[k] != meant[k]), len(meant))
        extra, around = typed[i], typed[max(i - 1, 0) : i] + typed[i + 1 : i + 2]
        return any(extra == c or (extra, c) in CLOSE_LETTERS for c in around)
    if len(typed) != len(meant):
        return False
    diff = [k for k in range(len(typed)) if typed[k] != meant[k]]
    if len(diff) == 2:
        return diff[1] == diff[0] + 1 and typed[diff[0]] == meant[diff[1]] and typed[diff[1]] == meant[diff[0]]
    return len(diff) == 1 and (typed[diff[0]], meant[diff[0]]) in CLOSE_LETTERS


_NEIGHBOURS = {a: sorted(b for x, b in CLOSE_LETTERS if x == a) for a, _ in CLOSE_LETTERS}


def slip(word: str, rng: random.Random) -> str:
    """``word`` with one of the slips ``is_common_slip`` knows, drawn from ``rng``: a letter left
    out, two neighbouring letters swapped, a neighbouring key or a same-sounding letter, or a
    letter typed twice."""
    letters = [i for i, ch in enumerate(word) if ch.isalpha()]
    if not letters:
        return word
    kind = rng.randrange(4)
    i = rng.choice(letters)
    if kind == 1 and i + 1 < len(word) and word[i + 1].isalpha() and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 2 and _NEIGHBOURS.get(word[i]):
        return word[:i] + rng.choice(_NEIGHBOURS[word[i]]) + word[i + 1 :]
    if kind == 3:
        return word[: i + 1] + word[i] + word[i + 1 :]
    return word[:i] + word[i + 1 :]


# Endings spoken Persian joins to a word: «اپراتورم» (my operator), «قبلیشو» (the previous one),
# «عاشقتم» (I love you). Longest first, so «قبلیشو» is tried as «قبلی» + «شو» before «قبلیش» + «و».
SUFFIXES = ("هامون", "هاتون", "هاشون", "مون", "تون", "شون", "تم", "شو", "مو", "تو", "رو", "ام", "ات", "اش", "م", "ت", "ش", "و")


def _stems(word: str) -> list[tuple[str, str]]:
    """``word`` split into a stem and each ending of ``SUFFIXES`` it has (a half-space between
    them dropped)."""
    return [(word[: -len(s)].rstrip(ZWNJ), s) for s in SUFFIXES if word.endswith(s) and len(word) > len(s)]


def _undoubled(word: str) -> set[str]:
    """``word`` with one of its doubled letters typed once."""
    return {word[:i] + word[i + 1 :] for i in range(len(word) - 1) if word[i] == word[i + 1]}


def _closest(word: str, alphabet: str, wanted: Callable[[str], bool]) -> list[str]:
    """The ``wanted`` words nearest ``word``: with one of its doubles undone, else one edit away,
    else one edit from it with a double undone. The normaliser keeps a long run of one letter as
    two («سلللام» -> «سللام»), so a double the word lacks is undone first, free of charge."""
    singles = _undoubled(word)
    for bases in ([], [word], singles):
        candidates = (
            [c for base in bases for c in one_edit_away(base, alphabet) if wanted(c)]
            if bases
            else [c for c in singles if wanted(c)]
        )
        if candidates:
            return candidates
    return []


@dataclass
class Speller:
    """Words of the training data with their counts, and the corrections drawn from them.

    ``pairs``: adjacent word pairs seen in training, the context that tells a typo which makes a
    real word («مرحله قلبی», stage of the heart) from that word used for itself («مرحله قبلی»).
    ``min_length``: shorter unknown words are left alone (too many neighbours).
    ``max_length``: longer ones too: the word list's longest word has 50 letters, and the search
    for neighbours grows with the square of a word's length, so one very long word (the gateway
    passes on up to 4,096 characters) would hold a parse for minutes (bench/REPORT.md).
    ``min_skeleton``: Latin words with fewer consonants are left alone («na» could be many words).
    ``log_prob``: how common a Persian word is in general text (natural log), and ``rare_margin``:
    how much more common a known word must be than a real word a common slip away for the real
    word to be read as that slip without context («عضوت», a rare word, is «عضویت»; «ناشی»
    (unskilled), as common as «نقاشی», stays). 0 leaves every real word alone.
    ``real_words``: the Persian word list (without half-spaces), and ``real_margin``: a word neither
    known nor real that no known word explains is read as the likeliest real word one edit away
    when that is this much more common than what was typed («اعتقدا» is «اعتقاد», though the
    training data lacks it), so the encoder and the letter n-grams meet a word they can read.
    None leaves such words as typed.
    """

    counts: Mapping[str, int]
    protected: frozenset[str] = frozenset()  # real words near a known one, without half-spaces
    pairs: frozenset[tuple[str, str]] = frozenset()
    min_length: int = 3
    max_length: int = 52
    min_skeleton: int = 2
    log_prob: Callable[[str], float] | None = None
    rare_margin: float = 0.0
    real_words: Container[str] = field(default=frozenset(), repr=False)
    real_margin: float | None = None
    _by_skeleton: dict[str, list[str]] = field(init=False, repr=False)
    _by_shorter_skeleton: dict[str, list[str]] = field(init=False, repr=False)  # one consonant dropped

    def __post_init__(self) -> None:
        self._by_skeleton = defaultdict(list)
        self._by_shorter_skeleton = defaultdict(list)
        for word in self.counts:
            if _PERSIAN_WORD.fullmatch(word):
                for skeleton in persian_skeletons(word):
                    self._by_skeleton[skeleton].append(word)
                    for shorter in {skeleton[:i] + skeleton[i + 1 :] for i in range(len(skeleton))}:
                        self._by_shorter_skeleton[shorter].append(word)

    @classmethod
    def from_sentences(
        cls,
        sentences: Iterable[list[str]],
        lexicon: Iterable[str] = (),
        log_prob: Callable[[str], float] | None = None,
        **options: Any,
    ) -> "Speller":
        """A speller of the sentences' words that leaves the real words of ``lexicon`` alone,
        unless ``log_prob`` (how common a word is) says a real word is far rarer than its slip."""
        counts: dict[str, int] = defaultdict(int)
        pairs: set[tuple[str, str]] = set()
        for words in sentences:
            for word in words:
                counts[word] += 1
            pairs.update(zip(words, words[1:]))
        real = {w.replace(ZWNJ, "") for w in lexicon}
        near = {n.replace(ZWNJ, "") for w in counts if _PERSIAN_WORD.fullmatch(w) for n in one_edit_away(w)}
        # A real word with a double of its own («ناامید», hopeless) is reached from a known one
        # by undoing the double and one edit («امید», hope), the way a slip would be: it is kept too.
        doubled = {w for w in real if any(u in near for u in _undoubled(w))}
        # And a real word whose stem is one edit from a known word, the way a slip with an ending
        # would be («کتابم» if only «کباب» were known).
        suffixed = {w for w in real if any(stem in near for stem, _ in _stems(w))}
        protected = frozenset((near | doubled | suffixed) & real - {w.replace(ZWNJ, "") for w in counts})
        return cls(dict(counts), protected, frozenset(pairs), log_prob=log_prob, real_words=frozenset(real), **options)

    def correct_sentence(self, words: list[str]) -> list[str]:
        """Each word read as the known word it stands for, given its neighbours."""
        read = [self._read_beside(words, i, words) for i in range(len(words))]
        # A neighbour that was a slip itself gives context only once read: in «سام رفیقق» the
        # pair «سلام رفیق» is seen only after «رفیقق» is read as «رفیق». Only a word beside a
        # changed one is read again.
        changed = {i for i, (w, r) in enumerate(zip(words, read)) if w != r}
        return [self._read_beside(words, i, read) if changed & {i - 1, i + 1} else r for i, r in enumerate(read)]

    def _read_beside(self, words: list[str], i: int, neighbours: list[str]) -> str:
        """``words[i]`` read with ``neighbours`` on either side."""
        return self.correct(words[i], neighbours[i - 1] if i else None, neighbours[i + 1] if i + 1 < len(words) else None)

    def correct(self, word: str, before: str | None = None, after: str | None = None) -> str:
        """The known word ``word`` stands for, or ``word`` itself when there is none."""
        if word in self.counts:
            return word
        lower = word.lower()
        if lower in self.counts:
            return lower
        if len(lower) < self.min_length and not _LATIN_WORD.fullmatch(lower):
            return word
        if len(lower) > self.max_length:
            return word
        if _LATIN_WORD.fullmatch(lower):
            return self._nearest(lower, "abcdefghijklmnopqrstuvwxyz'", before, after) or self._from_latin(lower) or word
        if not _PERSIAN_WORD.fullmatch(word):
            return word
        # A real word, or one typed with a letter doubled («سههام» is «سهام», shares), is changed
        # only when the change makes a pair seen in training: «قیمت سهام» stays, «سالم وقتتون»
        # (a slip for «سلام») does not.
        if word.replace(ZWNJ, "") in self.protected:
            real = word
        else:
            real = next((s for s in sorted(_undoubled(word)) if s.replace(ZWNJ, "") in self.protected), None)
            if real is None:
                return (
                    self._nearest(word, PERSIAN_LETTERS, before, after)
                    or self._with_ending(word, before, after)
                    or self._nearest_real(word)
                    or word
                )
        known = [c for c in one_edit_away(real) if c in self.counts]
        in_context = [c for c in known if self._in_context(c, before, after)]
        if in_context:
            return max(in_context, key=lambda c: (self.counts[c], c))
        return self._far_likelier(real, known) or real

    def _far_likelier(self, real: str, known: list[str]) -> str | None:
        """The known word one edit from the real word ``real`` (``known``) of which ``real`` is a
        common slip, when it is so much more common that the slip is the likelier reading (by
        ``rare_margin``)."""
        if not self.rare_margin or self.log_prob is None:
            return None
        slips = [c for c in known if is_common_slip(real, c)]
        best = max(slips, key=lambda c: (self.log_prob(c), c), default=None)  # type: ignore[misc]
        return (
            best if best is not None and self.log_prob(best) - self.log_prob(real.replace(ZWNJ, "")) >= self.rare_margin else None
        )

    def _nearest_real(self, word: str) -> str | None:
        """The real word one edit from ``word`` (a double undone first, ``_closest``): the
        likeliest reached by a common slip, else the likeliest; None unless it is ``real_margin``
        likelier than ``word`` itself, or when ``word`` is real."""
        if self.real_margin is None or self.log_prob is None:
            return None
        plain = word.replace(ZWNJ, "")
        if plain in self.real_words:
            return None
        real = _closest(plain, PERSIAN_LETTERS, self.real_words.__contains__)
        if not real:
            return None
        best = max(real, key=lambda c: (is_common_slip(plain, c), self.log_prob(c), c))  # type: ignore[misc]
        return best if self.log_prob(best) - self.log_prob(plain) >= self.real_margin else None

    def _in_context(self, word: str, before: str | None, after: str | None) -> bool:
        """Whether ``word`` makes a pair seen in training with the word before or after it."""
        return (before, word) in self.pairs or (word, after) in self.pairs

    def _nearest(self, word: str, alphabet: str, before: str | None = None, after: str | None = None) -> str | None:
        """The known word one edit away. Among several: one that makes a pair seen in training
        with a neighbour, then one reached by a common slip («پشیین» is «پیشین» with two letters
        swapped, not «پایین» with a far key), then the most frequent."""
        if len(word) < self.min_length:
            return None

        def rank(c: str) -> tuple[bool, bool, int, str]:
            return (self._in_context(c, before, after), is_common_slip(word, c), self.counts[c], c)

        candidates = _closest(word, alphabet, self.counts.__contains__)
        return max(candidates, key=rank) if candidates else None

    def _with_ending(self, word: str, before: str | None, after: str | None) -> str | None:
        """A slip in a word with a spoken ending: «اپراتروم» is «اپراتور» (two letters swapped)
        and «م». The known word stands for it, its ending too when that form is known; the
        ending seldom changes what is asked."""
        for stem, ending in _stems(word):
            if len(stem) <= self.min_length:
                continue  # a short stem has too many neighbours to guess from
            known = stem if stem in self.counts else self._nearest(stem, PERSIAN_LETTERS, before, after)
            if known:
                return known + ending if known + ending in self.counts else known
        return None

    def _from_latin(self, word: str) -> str | None:
        skeleton = latin_skeleton(word)
        if len(skeleton) < self.min_skeleton:
            return None
        candidates = self._by_skeleton.get(skeleton)
        if not candidates and len(skeleton) >= 3:
            # Two letters typed in the wrong order swap two consonants: «kasnel» is «kansel».
            swapped = {skeleton[:i] + skeleton[i + 1] + skeleton[i] + skeleton[i + 2 :] for i in range(len(skeleton) - 1)}
            candidates = [c for s in sorted(swapped) for c in self._by_skeleton.get(s, [])]
        spelt = latin_spelling(word)
        if not candidates and len(skeleton) >= 3:
            # A consonant left out: «kanel» reads k-n-l, «کنسل» k-n-s-l. Only a near spelling
            # counts, and three consonants at least: «sam» is not «سلام».
            candidates = [
                c for c in self._by_shorter_skeleton.get(skeleton, []) if edit_distance(spelt, c.replace(ZWNJ, "")) <= 2
            ]
        if not candidates:
            return None
        return min(candidates, key=lambda c: (edit_distance(spelt, c.replace(ZWNJ, "")), -self.counts[c], c))
