"""Hamyar's normaliser (nlu.persian.normalize) beside hazm's Normalizer(), on the same sentences.

The sentences are every example of nlu/data/nlu.yml plus variants written with Arabic letters and
digits, diacritics, half-space variants, repeated letters, keshide, bidi marks, punctuation and
Finglish. Each difference between the two outputs is split into kinds, and the deliberate ones are
grouped apart: those nlu/persian.py explains where it makes them (ASCII digits and punctuation,
joining where hazm half-spaces (ZWNJ), lowercase Latin letters, plain letters for ة ۀ أ, no
invisible marks, its rule for a letter typed three or more times, symbols and compounds kept as
typed). What is left under "other" is a difference nobody has explained yet.

    scripts/bench_normaliser.sh     (runs in .venvs/hazm; writes bench/out/normaliser_vs_hazm.md)
"""

from __future__ import annotations

import argparse
import difflib
import random
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

from bench.perturb import edit_one_long_word, triple_letter
from nlu.persian import _KEEP_ONE, ZWNJ, normalize

ROOT = Path(__file__).resolve().parent.parent
TRAIN_FILE = ROOT / "nlu" / "data" / "nlu.yml"
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\{[^}]*\}|\([^)]*\))")
_DIACRITICS = "\u064e\u0650\u064f\u0652\u0651\u064b\u064c\u064d"  # fatha kasra damma sukun shadda tanwins
_BIDI = ("\u200f", "\u200e", "\u202b", "\u202c", "\u200d", "\ufeff")
_PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
_ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
_FINGLISH = re.compile(r"^[A-Za-z0-9 ?!,.+'-]+$")
SAMPLE = 30  # sentences per variant family


def training_sentences(path: Path = TRAIN_FILE) -> list[str]:
    """Every example of a Rasa NLU file, annotations reduced to their text (no YAML library)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [_ANNOTATION.sub(r"\1", line[6:]).strip() for line in lines if line.startswith("    - ")]


def _keshide(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + "ـ" * rng.randint(1, 4) + word[i:]


def _diacritics(text: str, rng: random.Random) -> str:
    return "".join(ch + rng.choice(_DIACRITICS) if "\u0628" <= ch <= "\u06cc" and rng.random() < 0.3 else ch for ch in text)


def _bidi(text: str, rng: random.Random) -> str:
    mark = rng.choice(_BIDI)
    where = rng.choice(("start", "end", "digits", "word"))
    if where == "start":
        return mark + text
    if where == "end":
        return text + mark
    if where == "digits" and re.search(r"\d", text):
        return re.sub(r"(\d[\d ]*\d)", "\u200e\\1\u200e", text, count=1)
    words = text.split(" ")
    i = rng.randrange(len(words))
    words[i] = mark + words[i]
    return " ".join(words)


def _digits(text: str, target: str) -> str:
    table = str.maketrans("0123456789" + _PERSIAN_DIGITS + _ARABIC_DIGITS, target * 3)
    return text.translate(table)


def _finglish(text: str, rng: random.Random) -> str:
    choice = rng.randrange(3)
    if choice == 0:
        return text.upper()
    if choice == 1:
        return text[:1].upper() + text[1:] + rng.choice(("?", "!!", " ?", "..."))
    return re.sub(r"([aeiou])", lambda m: m.group(1) * 3, text, count=1)


def _punctuation(text: str, rng: random.Random) -> str:
    choice = rng.randrange(4)
    if choice == 0:
        return text.replace("؟", "?").replace("،", ",")
    if choice == 1:
        return text.replace("، ", "،").replace(", ", ",") + "؟؟"
    if choice == 2:
        words = text.split(" ")
        i = rng.randrange(len(words))
        words[i] = f'"{words[i]}"'
        return " ".join(words)
    return text + " ..."


def sentences(seed: int = 7) -> list[tuple[str, str]]:
    """(family, sentence): the training examples, then variants of a seeded sample of them."""
    base = training_sentences()
    rng = random.Random(seed)
    persian = [s for s in base if not _FINGLISH.match(s)]
    rows = [("training example", s) for s in base]

    def sample(pool: Sequence[str], k: int = SAMPLE) -> list[str]:
        return rng.sample(list(pool), min(k, len(pool)))

    with_yk = [s for s in persian if "ی" in s or "ک" in s]
    rows += [("Arabic yeh/kaf", s.replace("ی", "ي").replace("ک", "ك")) for s in sample(with_yk)]
    heh_final = [s for s in persian if re.search(r"\u0647(?= |$)", s)]
    rows += [
        ("Arabic teh marbuta / heh with hamza", re.sub(r"\u0647(?= |$)", rng.choice(("ة", "ۀ", "هٔ")), s, count=1))
        for s in sample(heh_final, 20)
    ]
    with_digits = [s for s in base if re.search(r"\d", s)]
    for s in sample(with_digits):
        rows += [
            ("digits: ASCII", _digits(s, "0123456789")),
            ("digits: Persian", _digits(s, _PERSIAN_DIGITS)),
            ("digits: Arabic-Indic", _digits(s, _ARABIC_DIGITS)),
        ]
    rows += [("diacritics", _diacritics(s, rng)) for s in sample(persian)]
    with_zwnj = [s for s in persian if ZWNJ in s]
    for s in sample(with_zwnj, 20):
        rows += [("ZWNJ as space", s.replace(ZWNJ, " ")), ("ZWNJ dropped (joined)", s.replace(ZWNJ, ""))]
    joined_mi = [s for s in persian if re.search(r"(?:^| )ن?می[^ \u200c]{2,}", s) and ZWNJ not in s]
    for s in sample(joined_mi, 20):
        rows += [
            ("می with ZWNJ", re.sub(r"(^| )(ن?می)(?=[^ ]{2,})", "\\1\\2" + ZWNJ, s)),
            ("می spaced", re.sub(r"(^| )(ن?می)(?=[^ ]{2,})", "\\1\\2 ", s)),
        ]
    rows += [("repeated letters", edit_one_long_word(s, rng, triple_letter)) for s in sample(persian)]
    rows += [("keshide", edit_one_long_word(s, rng, _keshide)) for s in sample(persian, 15)]
    rows += [("bidi and invisible marks", _bidi(s, rng)) for s in sample(with_digits, 15) + sample(persian, 15)]
    rows += [("Finglish", _finglish(s, rng)) for s in sample([s for s in base if _FINGLISH.match(s)])]
    rows += [("punctuation", _punctuation(s, rng)) for s in sample(persian)]
    rows += [("endings, runs and look-alikes", s) for s in HAND_PICKED]
    return rows


# Where the two normalisers are most likely to part: an ending written after a space, and the
# spaced words that only look like one; letters typed many times; the ellipsis character.
HAND_PICKED = (
    "پرونده ام چی شد", "خونه ام عوض شده", "نامه اش رسید", "رفته اند دفتر", "کجا رفته اید", "سابقه بیمه ای خودمو ببینم",
    "شماره ی ملی من", "شماره‌ی ملی من", "کارت ملی ام گم شده", "کارت ملی‌ام گم شده", "رمز روی گوشی ام نمیاد",
    "ما ایرانی ایم", "کتاب ها رو بیارم", "مدارک های لازم", "زود تر جواب بدید", "بهترین راه", "بزرگ ترین دفتر",
    "اس ام اس نیومد", "پی ام بدم؟", "هزینه ام آر آی چقدره", "نه ای بابا", "که ای کاش زودتر میگفتید", "دانشجو ام",
    "ها؟", "یادت نره ها", "ناامید شدم", "یاالله", "سلااااام", "خیییییلی ممنون", "تغییییر آدرس", "مممممنون",
    "بببخشید", "نننه جان", "خخخخ", "صبحححح بخیر", "salaaaaam", "صبر کنید…", "ثبت نام", "ثبت‌نام",
)  # fmt: skip


# --- Kinds of difference ---------------------------------------------------------------------

Pair = tuple[str, str]  # (Hamyar's output, hazm's output)
_INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200d\u2060\ufeff"))
_ASCII_DIGITS = str.maketrans(_PERSIAN_DIGITS + _ARABIC_DIGITS + "٪", "0123456789" * 2 + "%")
_ASCII_PUNCTUATION = str.maketrans("؟،؛«»", '?,;""')
_PLAIN_LETTERS = str.maketrans({"ة": "ه", "ۀ": "ه", "أ": "ا", "إ": "ا", "ٱ": "ا", "\u0654": None})


@dataclass(frozen=True)
class Kind:
    """One kind of difference and how to remove it from a pair (towards Hamyar's output)."""

    name: str
    deliberate: bool
    remove: Callable[[Pair], Pair]


def _both(function: Callable[[str], str]) -> Callable[[Pair], Pair]:
    return lambda pair: (function(pair[0]), function(pair[1]))


def _chunks(predicate: Callable[[str, str, str, int, int], bool]) -> Callable[[Pair], Pair]:
    """Replace hazm's side of every differing chunk that ``predicate(ours_chunk, hazm_chunk,
    hazm, start, end)`` accepts by Hamyar's side."""

    def remove(pair: Pair) -> Pair:
        ours, hazm = pair
        out = []
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, ours, hazm, autojunk=False).get_opcodes():
            if tag == "equal" or predicate(ours[i1:i2], hazm[j1:j2], hazm, j1, j2):
                out.append(ours[i1:i2])
            elif i1 == i2:  # an insertion that mixes kinds («⟨zwnj⟩خ»): judge each run of one character
                out += [
                    hazm[start:end] for start, end in _runs(hazm, j1, j2) if not predicate("", hazm[start:end], hazm, start, end)
                ]
            else:
                out.append(hazm[j1:j2])
        return ours, "".join(out)

    return remove


def _runs(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Maximal runs of one repeated character in ``text[start:end]``."""
    while start < end:
        stop = start + 1
        while stop < end and text[stop] == text[start]:
            stop += 1
        yield start, stop
        start = stop


def _repeat_of(test: Callable[[str], bool]) -> Callable[[str, str, str, int, int], bool]:
    """Hazm has extra copies of a letter next to it that ``test`` accepts; Hamyar has none."""

    def predicate(ours: str, hazm_chunk: str, hazm: str, start: int, end: int) -> bool:
        if ours or not hazm_chunk or len(set(hazm_chunk)) != 1 or not test(hazm_chunk[0]):
            return False
        return (start > 0 and hazm[start - 1] == hazm_chunk[0]) or (end < len(hazm) and hazm[end] == hazm_chunk[0])

    return predicate


def _extra_copy_ours(ours: str, hazm_chunk: str, hazm: str, start: int, end: int) -> bool:
    """Hamyar has one more copy of a Persian letter that hazm has right there."""
    if hazm_chunk or not ours or len(set(ours)) != 1 or not "\u0600" <= ours[0] <= "\u06ff":
        return False
    return (start > 0 and hazm[start - 1] == ours[0]) or (start < len(hazm) and hazm[start] == ours[0])


_AFFIXES = {"ی", "ای", "ها", "های", "هایی", "تر", "تری", "ترین", "گر", "گری", "ام", "ات", "اش", "ایم", "اید", "اند"}


def _half_space_for_space(affix: bool) -> Callable[[str, str, str, int, int], bool]:
    """Hazm has a ZWNJ where Hamyar has a space, before an affix (or, with ``affix`` False, not)."""

    def predicate(ours: str, hazm_chunk: str, hazm: str, start: int, end: int) -> bool:
        following = re.match(r"[^\s\u200c]*", hazm[end:])
        return ours == " " and hazm_chunk == ZWNJ and ((following.group() if following else "") in _AFFIXES) == affix

    return predicate


def _ending_joined(ours: str, hazm_chunk: str, hazm: str, start: int, end: int) -> bool:
    """Hamyar joins an ending where hazm keeps the space before it."""
    following = re.match(r"[^\s\u200c]*", hazm[end:])
    return not ours and hazm_chunk == " " and (following.group() if following else "") in _AFFIXES


def _space_next_to(characters: str) -> Callable[[str, str, str, int, int], bool]:
    """A space one side has and the other lacks, next to one of ``characters`` (any, when empty)."""

    def predicate(ours: str, hazm_chunk: str, hazm: str, start: int, end: int) -> bool:
        if ours.strip() or hazm_chunk.strip() or ours == hazm_chunk:
            return False
        around = (hazm[start - 1] if start > 0 else "") + (hazm[end] if end < len(hazm) else "")
        return not characters or any(ch in characters for ch in around)

    return predicate


def _no_invisible(text: str) -> str:
    return re.sub(" {2,}", " ", text.translate(_INVISIBLE)).strip()


KINDS: tuple[Kind, ...] = (
    Kind(
        "Digits: Hamyar writes ASCII digits (and %), hazm Persian digits (and ٪)",
        True,
        _both(lambda t: t.translate(_ASCII_DIGITS)),
    ),
    Kind(
        "Punctuation: Hamyar writes ASCII ? , ; and straight quotes, hazm ؟ ، ؛ and « »",
        True,
        _both(lambda t: t.translate(_ASCII_PUNCTUATION)),
    ),
    Kind(
        "Half-spaces: Hamyar joins (ZWNJ removed, «می خواهم» joined), hazm keeps or inserts ZWNJ",
        True,
        _chunks(lambda ours, hazm_chunk, *_: not ours and set(hazm_chunk) == {ZWNJ}),
    ),
    Kind("Latin letters: Hamyar lowercases, hazm keeps the case", True, _both(str.lower)),
    Kind(
        "Letter forms: Hamyar writes ة ۀ أ إ ٱ and hamza above as plain ه ا, hazm keeps them",
        True,
        _both(lambda t: t.translate(_PLAIN_LETTERS)),
    ),
    Kind("Invisible marks: Hamyar drops bidi controls, ZWJ and BOM; hazm keeps them (spaced apart)", True, _both(_no_invisible)),
    Kind(
        "Repeated letter kept once: Hamyar keeps one of 3+ alefs («سلااام» → «سلام») or of a letter Persian never doubles "
        "(«خخخ» → «خ»), hazm two when its word list lacks the word",
        True,
        _chunks(_repeat_of(lambda ch: ch in _KEEP_ONE)),
    ),
    Kind(
        "Repeated Persian letter kept twice: Hamyar keeps two of 3+ («تغییییر» → «تغییر»; the speller reads «سللام» as «سلام»), hazm one when its word list has the word",
        True,
        _chunks(_extra_copy_ours),
    ),
    Kind(
        "Repeated Persian letter: hazm keeps more copies than Hamyar",
        False,
        _chunks(_repeat_of(lambda ch: "\u0600" <= ch <= "\u06ff")),
    ),
    Kind(
        "Repeated Latin letter: Hamyar keeps two of 3+, hazm leaves Finglish as typed",
        True,
        _chunks(_repeat_of(lambda ch: ch.isascii() and ch.isalpha())),
    ),
    Kind(
        "Ending after a space kept apart: hazm attaches «ام», «ای», «گر»… with ZWNJ after any word («اس ام اس» → «اس‌ام اس»), "
        "Hamyar only where the ending cannot be a word («پرونده ام», «کارت ملی ام»)",
        True,
        _chunks(_half_space_for_space(affix=True)),
    ),
    Kind(
        "Ending after «ی» joined: Hamyar joins «ام», «اش»… after a word of 3+ letters ending in «ی» («کارت ملی ام», "
        "«گوشی ام»), hazm keeps the space unless its word list has the pair",
        True,
        _chunks(_ending_joined),
    ),
    Kind(
        "Compound after a space: hazm joins words it lists as compounds with ZWNJ («ثبت نام», «گم شده»), Hamyar keeps the space",
        True,
        _chunks(_half_space_for_space(affix=False)),
    ),
    Kind("Ellipsis: hazm writes … for ..., Hamyar ... for both", True, _both(lambda t: t.replace("…", "..."))),
    Kind(
        "Diacritics: Hamyar drops every mark, hazm keeps some",
        True,
        _chunks(lambda ours, hazm_chunk, *_: not ours and all(unicodedata.category(c) == "Mn" for c in hazm_chunk)),
    ),
    Kind(
        "Symbols spaced: hazm's tokenizer spaces + - = apart from digits («+۱۰» → «+ ۱۰», «۴۵۴-۹۱۸» → «۴۵۴ - ۹۱۸»)",
        True,
        _chunks(_space_next_to("+-=*/")),
    ),
    Kind(
        "Latin ?, ! and ... spaced: hazm's tokenizer puts a space before them («ghate?» → «ghate ?», «nemishe...» → «nemishe …»)",
        True,
        _chunks(_space_next_to("?!.")),
    ),
    Kind("Spacing, other", False, _chunks(_space_next_to(""))),
)


def classify(ours: str, hazm: str) -> list[str]:
    """The kinds that explain the difference, in order; what none explains is named by its chunks."""
    pair, kinds = (ours, hazm), []
    for kind in KINDS:
        if pair[0] == pair[1]:
            break
        reduced = kind.remove(pair)
        if reduced != pair:
            kinds.append(kind.name)
            pair = reduced
    if pair[0] != pair[1]:
        rest = [
            (pair[0][i1:i2], pair[1][j1:j2])
            for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, *pair, autojunk=False).get_opcodes()
            if tag != "equal"
        ]
        kinds.append("Other: " + "; ".join(f"«{visible(a)}» vs «{visible(b)}»" for a, b in rest))
    return kinds


_NAMES = {
    ZWNJ: "⟨zwnj⟩",
    "\u200d": "⟨zwj⟩",
    "\u200e": "⟨lrm⟩",
    "\u200f": "⟨rlm⟩",
    "\u202a": "⟨lre⟩",
    "\u202b": "⟨rle⟩",
    "\u202c": "⟨pdf⟩",
    "\ufeff": "⟨bom⟩",
    "\u200b": "⟨zwsp⟩",
    "\u0640": "⟨keshide⟩",
}


def visible(text: str) -> str:
    """Invisible characters written out, so a difference can be seen in the report."""
    return "".join(_NAMES.get(ch, ch) for ch in text)


# --- Report ----------------------------------------------------------------------------------


@dataclass
class Compared:
    family: str
    text: str
    ours: str
    hazm: str
    kinds: list[str]

    @property
    def outcome(self) -> str:
        if not self.kinds:
            return "identical"
        deliberate = {k.name for k in KINDS if k.deliberate}
        return "deliberate only" if all(k in deliberate for k in self.kinds) else "other"


def compare(rows: Sequence[tuple[str, str]]) -> list[Compared]:
    """Both normalisers on every sentence, and the kinds of difference between them."""
    from hazm import Normalizer

    normalizer = Normalizer()
    compared = []
    for family, text in rows:
        ours, hazm = normalize(text), normalizer.normalize(text)
        compared.append(Compared(family, text, ours, hazm, classify(ours, hazm)))
    return compared


def examples(items: Sequence[Compared], limit: int = 3) -> list[Compared]:
    """Up to ``limit`` examples, each showing hazm words not shown yet, from new families first and
    with the fewest other kinds of difference."""
    items = sorted(items, key=lambda item: len(item.kinds))
    chosen: list[Compared] = []
    shown: set[str] = set()

    def new_words(item: Compared) -> set[str]:
        return set(item.hazm.split()) - set(item.ours.split()) - shown

    for wants_new_family in (True, False):
        for item in items:
            if (
                len(chosen) < limit
                and item not in chosen
                and new_words(item)
                and (not wants_new_family or item.family not in {c.family for c in chosen})
            ):
                shown |= new_words(item)
                chosen.append(item)
    return chosen + [item for item in items if item not in chosen][: limit - len(chosen)]


def _cell(text: str) -> str:
    return visible(text).replace("|", "\\|") or "∅"


def report(compared: Sequence[Compared], hazm_version: str) -> str:
    """The markdown report: counts, then every kind of difference with examples."""
    outcomes = Counter(c.outcome for c in compared)
    by_kind: dict[str, list[Compared]] = defaultdict(list)
    for item in compared:
        for kind in item.kinds:
            by_kind[kind].append(item)
    families = list(dict.fromkeys(c.family for c in compared))
    lines = [
        f"# Hamyar's normaliser beside hazm {hazm_version}",
        "",
        f"`nlu.persian.normalize` and hazm's `Normalizer()` (default options) on {len(compared)} sentences: the "
        f"{sum(c.family == 'training example' for c in compared)} examples of `nlu/data/nlu.yml` and "
        f"{sum(c.family != 'training example' for c in compared)} variants of a seeded sample of them.",
        "",
        f"- identical output: **{outcomes['identical']}**",
        "- different only in Hamyar's deliberate conventions (each explained in `nlu/persian.py`): "
        f"**{outcomes['deliberate only']}**",
        f"- different in a way not explained: **{outcomes['other']}**",
        "",
        "| sentences | n | identical | deliberate only | other |",
        "| --- | --- | --- | --- | --- |",
    ]
    for family in families:
        group = Counter(c.outcome for c in compared if c.family == family)
        lines.append(
            f"| {family} | {sum(group.values())} | {group['identical']} | {group['deliberate only']} | {group['other']} |"
        )
    lines += [
        "",
        "Each differing pair is explained by the kinds below, taken in this order; a sentence can show several. "
        "Invisible characters are written ⟨zwnj⟩, ⟨rlm⟩, ⟨lrm⟩, ⟨rle⟩, ⟨pdf⟩, ⟨zwj⟩, ⟨bom⟩, ⟨keshide⟩.",
        "",
    ]
    order = [k.name for k in KINDS] + sorted(k for k in by_kind if k not in {kind.name for kind in KINDS})
    deliberate = {k.name for k in KINDS if k.deliberate}
    sections = (
        ("Deliberate differences (Hamyar's conventions, explained in nlu/persian.py)", True),
        ("Other differences (not explained)", False),
    )
    for title, wanted in sections:
        lines += [f"## {title}", ""]
        kinds = [k for k in order if k in by_kind and (k in deliberate) == wanted]
        if not kinds:
            lines += ["None.", ""]
        for kind in kinds:
            lines += [
                f"### {kind}",
                "",
                f"{len(by_kind[kind])} sentences.",
                "",
                "| sentence | input | Hamyar | hazm |",
                "| --- | --- | --- | --- |",
            ]
            lines += [f"| {c.family} | {_cell(c.text)} | {_cell(c.ours)} | {_cell(c.hazm)} |" for c in examples(by_kind[kind])]
            lines.append("")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "normaliser_vs_hazm.md")
    parser.add_argument("--seed", type=int, default=7, help="for sampling and writing the variants")
    args = parser.parse_args(argv)
    from importlib.metadata import version

    compared = compare(sentences(args.seed))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report(compared, version("hazm")), encoding="utf-8")
    outcomes = Counter(c.outcome for c in compared)
    print(
        f"{len(compared)} sentences: {outcomes['identical']} identical, {outcomes['deliberate only']} deliberate only, "
        f"{outcomes['other']} other"
    )
    for kind, count in Counter(k for c in compared for k in c.kinds).most_common():
        print(f"  {count:5d}  {kind}")
    print(f"Wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
