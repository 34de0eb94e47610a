"""How Hamyar reads and writes Persian (see PERSIAN.md).

Plain Python with no dependencies: Rasa (Python 3.10) and the app (Python 3.11) both import it,
so training data, live input, entity values and stored content pass through the same function.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left

# Where this differs from hazm's Normalizer, on purpose. ``make bench-normaliser`` compares the
# two on every training sentence and variants of them; each class of difference it reports
# (bench/out/normaliser_vs_hazm.md) is one of these:
# - Digits: Persian and Arabic-Indic digits become ASCII: identifiers, phone numbers and codes
#   are matched by one set of patterns, and replies are written with Persian digits by
#   ``persian_digits`` on the way out. hazm writes Persian digits.
# - Punctuation and ellipsis: ؟ ، ؛ « » become ? , ; " and «…» becomes «...», for the same
#   reason and so that both ways of typing a mark are one; hazm keeps the Persian marks and
#   writes «...» as «…».
# - Half-spaces: a ZWNJ is removed and a spaced prefix or ending joined («می خواهم», «پرونده ها»,
#   «پرونده ام»); hazm keeps or inserts a ZWNJ. A ZWNJ is invisible and typed inconsistently,
#   so the joined form is the one spelling that the spaced, half-spaced and glued ways of writing
#   a word all reach: «پرونده ام», «پرونده‌ام» and «پروندهام» are one token.
# - Endings after a space: which join, which stay apart although hazm joins them («اس ام اس»),
#   and which join although hazm keeps the space («کارت ملی ام»): see ``_SUFFIX``, ``_ENCLITIC``.
# - Compounds after a space («ثبت نام», «گم شده») stay two words; hazm joins those its word list
#   names. The word-bigram features see the pair, the training data writes them spaced, and no
#   word list has to follow the catalogue. (A half-spaced «ثبت‌نام» reads «ثبتنام», as typed
#   glued.)
# - Latin letters are lowercased (Finglish is typed in any case); hazm keeps the case.
# - ة ۀ أ إ ٱ and a hamza above become ه and ا; bidi controls, ZWJ, BOM and every diacritic are
#   dropped: they change nothing a citizen means, and bidi marks could hide text from a reader
#   of the logs. hazm keeps the letters, the invisible marks and a hamza («تأیید»).
# - A letter typed three or more times (see ``_RUN``) is kept twice, or once for alef and the
#   letters Persian never doubles; hazm keeps one or two by its word list. Hamyar's speller does
#   that look-up next, against the training words and a full Persian word list, and undoes a
#   double the word lacks («سللام» -> «سلام», «خییلی» -> «خیلی»). Latin letters too («salaaam» ->
#   «salaam»), which hazm leaves as typed: one spelling of a stretched Finglish word.
# - «+10» and «454-918» are kept whole (hazm's tokenizer spaces the symbols apart) so that
#   «پلیس +۱۰» and a dashed national id are read as typed, and «ghate?» keeps its question mark
#   attached, as does a trailing «...» (hazm spaces both): Rasa's WhitespaceTokenizer drops the
#   trailing marks anyway.

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
    "\u2026": "...",  # … (one character becomes three; the index map follows)
}
# The emoji people answer with instead of a word, read as that word: an older user taps 👍 for
# «yes» to a question, and a 🌹 or 🙏 says thanks in Iranian chats. Any other emoji stays a
# mark (a message of marks alone falls back, see has_words).
_EMOJI_WORDS = {
    **dict.fromkeys("👍👌✅✔☑🆗", "باشه"),
    **dict.fromkeys("👎❌✖🚫", "نه"),
    **dict.fromkeys("🙏🌹💐❤💙💚🌷", "ممنون"),
}
# Skin-tone modifiers (🏻–🏿) and the emoji-style selector are dropped: 👍🏽 is 👍.
_EMOJI_MODIFIERS = {chr(c) for c in range(0x1F3FB, 0x1F400)} | {"\ufe0f"}
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

# A letter of the Arabic script (Persian, Arabic, Urdu...), for the patterns below.
_FA = "[" + "".join(c for c in map(chr, range(0x0600, 0x0700)) if unicodedata.category(c) == "Lo") + "]"

# A letter typed three or more times is emphasis («سلااام», «خیییلی»): the run is cut to two,
# since Persian writes many letters twice («تغییر», «پاییز», «ممنون», «ننه», «ببخشید», «اسمم»,
# «محقق»; the speller removes a double the word lacks), and to one for the letters no Persian
# word writes twice (none in the fa_IR hunspell word list, half-spaces joined) and for alef,
# which is doubled only where a prefix meets an alef («ناامید», «یاالله») and is the letter most
# often stretched. A run of exactly two is kept as typed («ناامید»). Digits never change.
_RUN = re.compile(r"([^\W\d_])\1{2,}")
_KEEP_ONE = set("اآثجحخذژضظعغگپ")

# Verb prefixes and plural/comparative endings that people write joined, spaced or with a
# half-space. The canonical form is joined, so all three spellings become one token. They join
# after any word: «کتاب ها», «بیش تر». Two rarer readings are given up for that: «ها» as an
# emphatic particle («یادت نره ها») and «تر» (wet) after a noun; «ها» alone («ها؟») stays. «گر»
# and «گری», which hazm also joins, stay apart: «گر» is also a word (if, in «گر چه»).
_PREFIX = re.compile(r"(?<![\w])(ن?می) (?=[\u0600-\u06ff])")
_SUFFIX = re.compile(rf"(?<={_FA}) (ها|های|هایی|هایم|هایت|هایش|هایمان|هایتان|هایشان|تر|ترین)(?!\w)")
# «پرونده ام» is «پرونده‌ام» (my case) with a space for the half-space. Personal endings join:
# - after a word ending in «ه», where they are always written apart, and «ی» (ezafe, «شماره ی
#   ملی») and «ای» («بیمه ای», «خسته ای») too, as hazm does;
# - after a word of three or more letters ending in «ی» («کارت ملی ام», «گوشی ام»), also
#   written with a half-space. A two-letter word is more likely a Latin letter's name: «پی ام»
#   (PM), «آی ام اف»; «ی» and «ای» do not join here («ایرانی ای» is rare).
# hazm joins only after «ه» by rule, elsewhere by its word list, so it keeps «گوشی ام» apart.
# Elsewhere a spaced ending stays a word, though hazm may join it: after a consonant the ending
# is written joined («کتابم»), so a lone «ام» there is the letter M («اس ام اس», hazm «اس‌ام
# اس»); after «ا» and «و» it takes a «ی» («دانشجویم»). Never joined: «ام آر آی» (MRI); after
# «نه», «که», «چه», «به», which take no ending; and the interjection «ای» before «کاش»,
# «بابا», «خدا», «وای», «داد» («نه ای بابا», «که ای کاش»).
_ENCLITIC = re.compile(
    rf"(?:(?<={_FA}ه) (ی|ای|ام|ات|اش|ایم|اید|اند)|(?<={_FA}{_FA}ی) (ام|ات|اش|ایم|اید|اند))(?!\w)(?! [آا]ر(?!\w))"
)
_NO_ENDING = frozenset({"نه", "که", "چه", "به"})
_VOCATIVE = frozenset({"کاش", "بابا", "خدا", "وای", "داد"})


def normalize_with_map(text: str) -> tuple[str, list[int]]:
    """Normalise ``text`` and return it with a map from each original index to the new one.

    ``mapping`` has ``len(text) + 1`` entries; a span ``[start, end)`` of the original becomes
    ``[mapping[start], mapping[end])`` of the result, so entity annotations stay aligned.
    """
    out: list[str] = []
    mapping: list[int] = []
    after_emoji = False

    for ch in text:
        mapping.append(len(out))
        if ch in _DROP or ch in _EMOJI_MODIFIERS or (unicodedata.category(ch) == "Mn"):
            continue
        ch = _LETTERS.get(ch, ch)
        if ch == ZWNJ:
            # A half-space joins: «می‌خواهم» reads as «میخواهم».
            continue
        if ch.isspace():
            if out and out[-1] != " ":
                out.append(" ")
            continue
        word = _EMOJI_WORDS.get(ch)
        if word or after_emoji:
            # An emoji's word stands apart from its neighbours: «مرسی🌹» is «مرسی ممنون».
            if out and out[-1] != " ":
                out.append(" ")
            mapping[-1] = len(out)
        after_emoji = bool(word)
        if word:
            out.extend(word)
            continue
        if "A" <= ch <= "Z":
            ch = ch.lower()
        # «سلام،خوبی» -> «سلام، خوبی»: punctuation glued between letters separates words.
        if ch.isalpha() and len(out) >= 2 and out[-1] in _PUNCT_SPACED and out[-2].isalpha():
            out.append(" ")
            mapping[-1] = len(out)
        out.extend(ch)
    mapping.append(len(out))

    while out and out[-1] == " ":
        out.pop()
    result = "".join(out)
    limit = len(result)
    mapping = [min(m, limit) for m in mapping]
    result, mapping = _remove(result, mapping, _collapse_runs(result))
    # Joined until nothing more joins («خسته ای ام»: «ای» joins first, then «ام» after «خستهای»),
    # then the runs a join made are cut: normalising twice changes nothing.
    while removed := _joins(result):
        result, mapping = _remove(result, mapping, removed)
    return _remove(result, mapping, _collapse_runs(result))


def _collapse_runs(text: str) -> list[int]:
    """Positions of the letters beyond those a run keeps (see ``_RUN``).

    Runs are cut before the joins («پرونده اااام» is «پرونده ام») and again after them, so no
    letter is left three times in a row: «شبهه‌ها» (doubts), «شبهه ها» and «شبههها» all read
    «شبهها».
    """
    removed: list[int] = []
    for match in _RUN.finditer(text):
        keep = 1 if match.group(1) in _KEEP_ONE else 2
        removed.extend(range(match.start() + keep, match.end()))
    return removed


def _joins(text: str) -> list[int]:
    """Positions of the spaces to remove in «می خواهم», «پرونده ها» and «پرونده ام»."""
    removed = [match.end(1) for match in _PREFIX.finditer(text)]
    removed += [match.start(1) - 1 for match in _SUFFIX.finditer(text)]
    for match in _ENCLITIC.finditer(text):
        ending = match.group(1) or match.group(2)
        space = match.start()
        word = text[text.rfind(" ", 0, space) + 1 : space]
        following = re.match(r" (\w+)", text[match.end() :])
        if word in _NO_ENDING or (ending == "ای" and following and following.group(1) in _VOCATIVE):
            continue
        removed.append(space)
    return removed


def _remove(text: str, mapping: list[int], positions: list[int]) -> tuple[str, list[int]]:
    """``text`` without the characters at ``positions``, and ``mapping`` moved to match."""
    if not positions:
        return text, mapping
    ordered = sorted(set(positions))
    gone = set(ordered)
    new_text = "".join(ch for i, ch in enumerate(text) if i not in gone)
    # An index moves back by the number of removed characters before it; an index of a removed
    # character becomes that of the next one kept.
    return new_text, [m - bisect_left(ordered, m) for m in mapping]


def normalize(text: str) -> str:
    """The one normaliser: Arabic letters and digits, diacritics, half-spaces, repeats, spaces."""
    return normalize_with_map(text)[0]


def has_words(text: str) -> bool:
    """Whether ``text`` holds a letter or a digit in any script: «؟؟؟», «...» or «<>» do not.

    A message of marks alone says nothing the classifier can read; its character n-grams are
    those of punctuation seen beside words in training («نه؟»), so it would be taken for
    whichever intent used them most (a confused «؟؟؟» read as «no»)."""
    return any(ch.isalnum() for ch in text)


def clipped(text: str, limit: int) -> str:
    """At most ``limit`` words of ``text``: its first half and its last, when it is longer.

    A long message opens with greetings and the story, and often asks at its end («…
    میخواستم ببینم پرونده‌ام چی شد»), so both ends are kept."""
    words = text.split()
    if limit <= 0 or len(words) <= limit:
        return text
    head = (limit + 1) // 2
    return " ".join(words[:head] + words[len(words) - (limit - head) :])


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
