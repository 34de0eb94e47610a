"""How Hamyar reads and writes Persian (see PERSIAN.md).

Plain Python with no dependencies: Rasa (Python 3.10) and the app (Python 3.11) both import it,
so training data, live input, entity values and stored content pass through the same function.
"""

from __future__ import annotations

import re
import unicodedata

# Where this differs from hazm's Normalizer (``make bench-normaliser`` lists every case):
# - Digits become ASCII and ؟ ، ؛ « » become ? , ; ": identifiers, phone numbers and codes are
#   matched by one set of patterns, and replies are written with Persian digits by
#   ``persian_digits`` on the way out. hazm writes Persian digits and keeps Persian punctuation.
# - Half-spaces are removed and «می خواهم», «پرونده ها», «پرونده ام» are joined into one word;
#   hazm keeps or inserts a ZWNJ. A ZWNJ is invisible and typed inconsistently, so the joined
#   form is the one spelling all three ways of writing a word reach. «ای» after a space is left
#   apart: it is also a separate word (ezafe «خانه ای»/vocative «ای خدا»).
# - Compounds after a space («ثبت نام») stay two words; hazm joins those in its word list.
#   The word-bigram features see the pair, and no word list has to follow the catalogue.
# - Latin letters are lowercased (Finglish is typed in any case); hazm keeps the case.
# - ة ۀ أ إ ٱ and a hamza above become ه and ا, bidi controls, ZWJ and BOM are dropped: they
#   change nothing a citizen means, and bidi marks could hide text from a reader of the logs.
# - A doubled alef is one («یاالله» reads «یالله»); Persian never writes two. Any other letter
#   typed three or more times is kept twice, Latin too («salaaam» -> «salaam»); hazm keeps one
#   Persian letter when its word list knows the word and leaves Finglish as typed.
# - «+10» and «454-918» are kept whole (hazm's tokenizer spaces the symbols apart) so that
#   «پلیس +۱۰» and a dashed national id are read as typed; ... stays three dots and «ghate?»
#   keeps its question mark attached; the whitespace tokenizer drops the punctuation anyway.

# Letters written with Arabic code points that Persian writes differently.
_LETTERS = {
    "\u064a": "\u06cc",  # ي -> ی
    "\u0649": "\u06cc",  # ى -> ی
    "\u0643": "\u06a9",  # ك -> ک
    "\u0629": "\u0647",  # ة -> ه
    "\u06c0": "\u0647",  # ۀ -> ه (the hamza above is dropped like a diacritic)
    "\u06c1": "\u0647",  # ہ (Urdu heh) -> ه
    "\u0623": "\u0627",  # أ -> ا
    "\u0625": "\u0627",  # إ -> ا
    "\u0671": "\u0627",  # ٱ -> ا
    "\u061f": "?",  # ؟
    "\u060c": ",",  # ،
    "\u061b": ";",  # ؛
    "\u066b": ".",  # Arabic decimal separator
    "\u00ab": '"',  # «
    "\u00bb": '"',  # »
}
for _i in range(10):
    _LETTERS[chr(0x06F0 + _i)] = str(_i)  # Persian digits
    _LETTERS[chr(0x0660 + _i)] = str(_i)  # Arabic-Indic digits

# Removed outright: diacritics, keshide, bidi controls and invisible joiners.
_DROP = set(
    "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0653\u0654\u0655\u0670"  # harakat, shadda, sukun
    "\u0640"  # keshide
    "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"  # bidi controls
    "\u200b\u200d\u2060\ufeff"  # zero-width space/joiner, word joiner, BOM
)
ZWNJ = "\u200c"
_PUNCT_SPACED = set("?!,;")

# Verb prefixes and plural/comparative suffixes that people write joined, spaced or with a
# half-space. The canonical form is joined, so all three spellings become one token.
_PREFIX = re.compile(r"(?<![\w])(ن?می) (?=[\u0600-\u06ff])")
_SUFFIX = re.compile(r"(?<=[\u0600-\u06ff]) (ها|های|هایی|هایم|هایت|هایش|هایمان|هایتان|هایشان|تر|ترین)(?![\w])")
# «پرونده ام» is «پرونده‌ام» (my case) with a space for the half-space: after a final «ه» the
# personal endings are written apart, and none of them is a word on its own.
_ENCLITIC = re.compile(r"(?<=ه) (ام|ات|اش|ایم|اید|اند)(?![\w])")


def normalize_with_map(text: str) -> tuple[str, list[int]]:
    """Normalise ``text`` and return it with a map from each original index to the new one.

    ``mapping`` has ``len(text) + 1`` entries; a span ``[start, end)`` of the original becomes
    ``[mapping[start], mapping[end])`` of the result, so entity annotations stay aligned.
    """
    out: list[str] = []
    mapping: list[int] = []
    run_char, run_len = "", 0  # the letter being repeated in the output, and how often typed

    for ch in text:
        mapping.append(len(out))
        if ch in _DROP or (unicodedata.category(ch) == "Mn"):
            continue
        ch = _LETTERS.get(ch, ch)
        if ch == ZWNJ:
            # A half-space joins: «می‌خواهم» reads as «میخواهم».
            continue
        if ch.isspace():
            if out and out[-1] != " ":
                out.append(" ")
                run_char, run_len = "", 0
            continue
        if "A" <= ch <= "Z":
            ch = ch.lower()
        if ch.isalpha() and ch == run_char:
            # A letter typed three or more times is kept twice: «تغییییر» -> «تغییر» and
            # «ممممنون» -> «ممنون» keep a real double letter, and the NLU's speller reads
            # «سللام» as the known «سلام» (one letter too many is one edit). hazm collapses
            # to one letter and so loses the real doubles. A doubled alef is never Persian:
            # «سلااام» -> «سلام». Digits never collapse (codes repeat digits).
            run_len += 1
            if ch == "\u0627" or run_len >= 3:
                continue
            out.append(ch)
            continue
        # «سلام،خوبی» -> «سلام، خوبی»: punctuation glued between letters separates words.
        if ch.isalpha() and len(out) >= 2 and out[-1] in _PUNCT_SPACED and out[-2].isalpha():
            out.append(" ")
            mapping[-1] = len(out)
        out.append(ch)
        run_char, run_len = (ch, 1) if ch.isalpha() else ("", 0)
    mapping.append(len(out))

    while out and out[-1] == " ":
        out.pop()
    result, mapping = _apply_joins("".join(out), mapping)
    limit = len(result)
    return result, [min(m, limit) for m in mapping]


def _apply_joins(text: str, mapping: list[int]) -> tuple[str, list[int]]:
    """Remove the space in «می خواهم» and «پرونده ها», keeping the index map right."""
    removed: list[int] = []  # positions (in ``text``) of removed spaces
    for pattern in (_PREFIX, _SUFFIX, _ENCLITIC):
        for match in pattern.finditer(text):
            space = match.end(1) if pattern is _PREFIX else match.start(1) - 1
            removed.append(space)
    if not removed:
        return text, mapping
    removed_set = set(removed)
    new_text = "".join(ch for i, ch in enumerate(text) if i not in removed_set)
    ordered = sorted(removed_set)

    def shift(pos: int) -> int:
        # Number of removed spaces strictly before ``pos``.
        lo, hi = 0, len(ordered)
        while lo < hi:
            mid = (lo + hi) // 2
            if ordered[mid] < pos:
                lo = mid + 1
            else:
                hi = mid
        return pos - lo

    return new_text, [shift(m) for m in mapping]


def normalize(text: str) -> str:
    """The one normaliser: Arabic letters and digits, diacritics, half-spaces, repeats, spaces."""
    return normalize_with_map(text)[0]


_TO_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def persian_digits(value: object) -> str:
    """Write numbers for a reader: «۱۴۰۵»."""
    return str(value).translate(_TO_PERSIAN_DIGITS)


def ascii_digits(text: str) -> str:
    """Only the digits mapped to ASCII, nothing else changed (for codes typed by people)."""
    return "".join(_LETTERS.get(ch, ch) if ch.isdigit() else ch for ch in text)


def format_amount(amount: int) -> str:
    """«۱٬۲۵۰٬۰۰۰ تومان»: thousands separated with the Persian separator."""
    return persian_digits(f"{amount:,}").replace(",", "\u066c") + " تومان"
