"""Issue 20, item 3: typed text never becomes an intent, whatever precedes the slash."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.typed import safe_text
from nlu.persian import normalize

# What could hide a slash: blanks, bidi and zero-width marks, diacritics, keshide, slashes of
# every shape, and characters the normaliser removes or folds.
NOISE = st.sampled_from(
    list(
        " \t\n\u00a0\u2003\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
        "\ufeff\u0640\u064b\u064e\u0650\u0651\u0652/\\\uff0f\u2215\u2044\u29f8\u2571\ufe68\uff3c"
    )
)
COMMANDS = st.sampled_from(["/greet", "/case_status", '/inform{"national_id":"0926064541"}', "greet", "/request_human@1.0"])


def looks_like_a_command(text: str) -> bool:
    """What Rasa checks, before the pipeline and after it (on the normalised text)."""
    return text.strip().startswith("/") or normalize(text).strip().startswith("/")


@settings(max_examples=400, derandomize=True, deadline=None)
@given(prefix=st.lists(NOISE, max_size=12).map("".join), command=COMMANDS)
def test_no_prefix_lets_a_command_through(prefix, command):
    assert not looks_like_a_command(safe_text(prefix + command))


@settings(max_examples=400, derandomize=True, deadline=None)
@given(text=st.text(max_size=40))
def test_no_text_at_all_becomes_a_command(text):
    assert not looks_like_a_command(safe_text(text))


@pytest.mark.parametrize("attack", ["/ /greet", "\u200f/greet", "\u200b/greet", "\uff0fgreet", "//greet", "\u064e/greet"])
def test_the_reported_attacks(attack):
    assert not looks_like_a_command(safe_text(attack))


def test_ordinary_text_is_kept():
    assert safe_text("  سلام، پرونده ۱۲۳ / ۴۵۶  ") == "سلام، پرونده ۱۲۳ / ۴۵۶"


@pytest.mark.integration
@pytest.mark.parametrize("attack", ["/ /greet", "\u200f/greet", "\u200b/greet"])
async def test_rasa_classifies_it_instead_of_obeying_it(chat, attack):
    await chat.say(attack)
    latest = chat.stack.tracker(chat.conversation_id)["latest_message"]
    # Read by the NLU (a ranking of intents), not injected at confidence 1.0.
    assert len(latest.get("intent_ranking") or []) > 1
