"""Every inbound parser, fuzzed (hypothesis): arbitrary input never raises anything but the
parser's documented rejection, and a valid input maps to the right InboundMessage.

The parsers and their rejections:
- generic webhook body (connectors/generic.py): pydantic's ValidationError (answered 400);
- Telegram-compatible update (connectors/messenger.py): ``MessengerAdapter.read`` raises
  MalformedUpdate (400), ``inbound`` gives None for updates that carry no message;
- Rubika update (connectors/rubika.py): ``inbound`` gives None (ignored, 200);
- numbered replies (connectors/numbered.py): ``option_number`` gives None (the text goes on as words);
- deep links (``/start guide-passport-new``): ``deep_link_payload`` gives None (a greeting);
- agency case callbacks (notifications/agency_updates.py): ValidationError (400), and the
  signature check (connectors/signing.py) answers "stale" or "bad_signature" (401).

Inputs are random JSON, random bytes, and valid inputs with one part replaced by random JSON
(which finds more than random JSON alone: the parsers look at the right keys). Derandomized,
so CI sees the same examples every run.
"""

from __future__ import annotations

import copy
import json
import os
import re
import time
from typing import Any, Optional

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from connectors import generic, messenger, rubika
from connectors.models import InboundMessage
from connectors.numbered import option_number
from connectors.signing import sign, verify
from nlu.identifiers import normalize_phone
from notifications.agency_updates import CaseChange
from tests.security.fuzz_gateway import FIELD_NAMES

# About 5 s in all on a quiet machine, under 30 s on a busy one; HAMYAR_FUZZ_EXAMPLES=20000 for a long search by hand.
EXAMPLES = int(os.environ.get("HAMYAR_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES, derandomize=True, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
VALID = settings(
    max_examples=max(EXAMPLES // 3, 1),
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# The keys the parsers read, so that random objects sometimes hit them.
KEYS = FIELD_NAMES
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(
        [
            10**200,
            -(10**200),
            2**64,
            "",
            "0",
            "²",
            "۱" * 50,
            "/start",
            "/start guide-x",
            "private",
            "NewMessage",
            "\u200f/greet",
            "9" * 400,
        ]
    )
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=5),
    max_leaves=25,
)
_DROP = object()


def _paths(value: Any, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, path + (index,))
    return found


@st.composite
def mutated(draw, valid: st.SearchStrategy) -> Any:
    """A valid input with one part (maybe the whole) replaced by random JSON, or dropped."""
    value = copy.deepcopy(draw(valid))
    path = draw(st.sampled_from(_paths(value)))
    replacement = draw(JSON | st.just(_DROP))
    if not path:
        return None if replacement is _DROP else replacement
    parent = value
    for step in path[:-1]:
        parent = parent[step]
    if replacement is _DROP:
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    return value


def fields(message: Optional[InboundMessage]) -> Optional[dict]:
    """What a parser decided (not the time it was received, nor fields other items add)."""
    if message is None:
        return None
    return message.model_dump(
        include={"channel", "chat_id", "user_id", "message_id", "text", "button_id", "internal_payload", "verified_phone", "kind"}
    )


def expected(channel: str, chat_id: str, user_id: str, message_id: str, **extra) -> dict:
    return {
        "channel": channel,
        "chat_id": chat_id,
        "user_id": user_id,
        "message_id": message_id,
        "text": None,
        "button_id": None,
        "internal_payload": None,
        "verified_phone": None,
        "kind": "text",
        **extra,
    }


WORDS = st.text(min_size=1, max_size=200).filter(lambda t: not t.startswith("/start"))
PHONE = st.from_regex(r"09[0-9]{9}", fullmatch=True)
SLUG = st.from_regex(r"[a-z0-9\-]{1,60}", fullmatch=True)


# --- generic webhook ---------------------------------------------------------------------------

SOURCE = generic.GenericSource(name="sms", secret="s" * 20, buttons=False, callback_url="")
SAFE_ID = st.from_regex(r"[A-Za-z0-9_\-]{1,128}", fullmatch=True)


@st.composite
def generic_bodies(draw) -> dict:
    body = {
        "message_id": draw(st.text(min_size=1, max_size=128)),
        "user_id": draw(st.text(min_size=1, max_size=128)),
        "chat_id": draw(SAFE_ID),
    }
    if draw(st.booleans()):
        body["text"] = draw(st.text(max_size=300))
    else:
        body["payload"] = draw(st.text(min_size=1, max_size=64))
    if draw(st.booleans()):
        body["contact"] = {
            "phone": draw(PHONE | st.text(max_size=32)),
            "user_id": draw(st.sampled_from([body["user_id"], "someone-else"])),
        }
    return body


def read_generic(raw: bytes) -> Optional[InboundMessage]:
    """The generic webhook's reading of a signed body: None where it answers 400."""
    try:
        body = generic.GenericBody.model_validate_json(raw)
    except ValidationError:
        return None
    return generic.inbound(SOURCE, body, body.payload)


@FUZZ
@given(
    st.binary(max_size=300)
    | JSON.map(lambda v: json.dumps(v).encode())
    | mutated(generic_bodies()).map(lambda v: json.dumps(v).encode())
)
def test_generic_body_never_raises_but_is_refused(raw):
    message = read_generic(raw)
    assert message is None or isinstance(message, InboundMessage)


@VALID
@given(generic_bodies())
def test_generic_body_maps_to_its_message(body):
    message = read_generic(json.dumps(body, ensure_ascii=False).encode())
    contact = body.get("contact")
    own = contact is not None and contact["user_id"] == body["user_id"]
    phone = normalize_phone(contact["phone"]) if own else None
    assert phone is None or re.fullmatch(r"09[0-9]{9}", phone)
    assert fields(message) == expected(
        "sms",
        body["chat_id"],
        body["user_id"],
        body["message_id"],
        text=None if body.get("payload") else body.get("text"),
        button_id=body.get("payload"),
        verified_phone=phone,
    )


# --- numbered replies ----------------------------------------------------------------------------

DIGITS = {"ascii": "0123456789", "persian": "۰۱۲۳۴۵۶۷۸۹", "arabic": "٠١٢٣٤٥٦٧٨٩"}


@FUZZ
@given(st.none() | st.text() | st.text(alphabet="0123456789²³¹①½۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩ .\u200f\u200c", max_size=6000))
def test_any_reply_is_an_option_number_or_words(text):
    number = option_number(text)
    assert number is None or 0 <= number <= 999


@VALID
@given(
    st.integers(min_value=1, max_value=999),
    st.sampled_from(sorted(DIGITS)),
    st.sampled_from(["", " ", "  "]),
    st.sampled_from(["", ".", " ."]),
)
def test_an_option_number_in_any_script(number, script, before, after):
    written = "".join(DIGITS[script][int(d)] for d in str(number))
    assert option_number(f"{before}{written}{after}") == number


# --- deep links ----------------------------------------------------------------------------------


@FUZZ
@given(st.text() | st.from_regex(r"\s*(guide|case|status)(-[\w\-]{0,70})?\s*", fullmatch=True))
def test_any_start_argument_is_a_known_payload_or_none(argument):
    payload = messenger.deep_link_payload(argument)
    assert payload in (None, "/case_status", "/service_status") or re.fullmatch(
        r'/how_to\{"article_id":"[a-z0-9\-]{1,60}"\}', payload
    ), payload
    if payload and payload.startswith("/how_to"):
        assert json.loads(payload[len("/how_to") :])["article_id"]


@VALID
@given(SLUG, st.sampled_from(["", " ", "  "]))
def test_a_deep_link_opens_its_place(slug, space):
    assert messenger.deep_link_payload(f"{space}guide-{slug}") == '/how_to{"article_id":"%s"}' % slug
    assert messenger.deep_link_payload(f"{space}case") == "/case_status"
    assert messenger.deep_link_payload(f"{space}status") == "/service_status"


# --- Telegram-compatible updates -----------------------------------------------------------------


@pytest.fixture(scope="module")
def adapter() -> messenger.MessengerAdapter:
    """A real adapter (python-telegram-bot Application, never started: nothing is sent). Its
    router and replies are not reached by ``read`` and ``inbound``."""
    profile = messenger.MessengerProfile(
        name="telegram",
        token="123:ABC",
        base_url="http://127.0.0.1:9/bot",
        base_file_url="http://127.0.0.1:9/file/bot",
        mode="webhook",
        webhook_secret="w" * 20,
        secret_header=True,
    )
    return messenger.MessengerAdapter(profile, router=None, queues=None, replies=None)  # type: ignore[arg-type]


TG_ID = st.integers(min_value=1, max_value=2**52)
CHAT_ID = TG_ID | st.integers(min_value=-(2**52), max_value=-1)


@st.composite
def telegram_updates(draw) -> tuple[dict, dict]:
    """A valid update (message or button press) and the fields its InboundMessage must have."""
    update_id, chat_id, user_id, message_id = draw(TG_ID), draw(CHAT_ID), draw(TG_ID), draw(TG_ID)
    chat = {"id": chat_id, "type": draw(st.sampled_from(["private", "group", "supergroup"]))}
    sender = {"id": user_id, "is_bot": False, "first_name": draw(st.text(min_size=1, max_size=20))}
    message = {"message_id": message_id, "date": int(time.time()), "chat": chat, "from": sender}
    base = ("telegram", str(chat_id), str(user_id), str(message_id))
    kind = draw(st.sampled_from(["text", "deep_link", "start", "contact", "photo", "button"]))
    if kind == "button":
        query_id, data = draw(st.from_regex(r"[0-9]{1,30}", fullmatch=True)), draw(st.text(max_size=64))
        query = {"id": query_id, "chat_instance": "i", "from": sender, "data": data, "message": {**message, "text": "x"}}
        return {"update_id": update_id, "callback_query": query}, expected(*base[:3], f"cb-{query_id}", button_id=data)
    if kind == "text":
        message["text"] = draw(WORDS)
        want = expected(*base, text=message["text"])
    elif kind == "deep_link":
        place = draw(st.sampled_from(["guide", "case", "status"]))
        slug = draw(SLUG) if place == "guide" else None
        message["text"] = f"/start {place}" + (f"-{slug}" if slug else "")
        payload = (
            '/how_to{"article_id":"%s"}' % slug
            if slug
            else {"case": "/case_status", "status": "/service_status", "guide": None}[place]
        )
        want = expected(*base, internal_payload=payload or "/greet")
    elif kind == "start":
        message["text"] = "/start" + draw(st.sampled_from(["", " ", " nonsense", " guide-", "@hamyar_bot"]))
        want = expected(*base, internal_payload="/greet")
    elif kind == "contact":
        phone, own = draw(PHONE), draw(st.booleans())
        message["contact"] = {"phone_number": "+98" + phone[1:], "first_name": "م", "user_id": user_id if own else user_id + 1}
        want = expected(*base, verified_phone=phone if own else None)
    else:
        message["photo"] = [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]
        want = expected(*base, kind="unsupported")
    return {"update_id": update_id, "message": message}, want


@st.composite
def odd_ids(draw) -> dict:
    """A valid update with one of its ids any integer at all (a 200-digit one included)."""
    data = draw(telegram_updates())[0]
    message = data.get("message") or data["callback_query"]["message"]
    holders = [(message, "message_id"), (message["chat"], "id"), (message["from"], "id")]
    holder, key = draw(st.sampled_from(holders))
    holder[key] = draw(st.integers() | st.sampled_from([2**63, -(2**63) - 1, 10**200, -(10**200), 0]))
    return data


def read_telegram(adapter: messenger.MessengerAdapter, data: Any) -> Optional[InboundMessage]:
    """What the webhook does with a JSON object: MalformedUpdate is its 400, None its silent 200."""
    try:
        update = adapter.read(data)
    except messenger.MalformedUpdate:
        return None
    return adapter.inbound(update)


@FUZZ
@given(
    st.dictionaries(st.sampled_from(KEYS), JSON, max_size=4).map(lambda d: {**d, "update_id": 1})
    | mutated(telegram_updates().map(lambda p: p[0]))
    | odd_ids()
)
def test_telegram_update_never_raises_but_is_refused(adapter, data):
    # The gateway has already refused JSON that is not an object with an integer update_id.
    assume(isinstance(data, dict) and isinstance(data.get("update_id"), int))
    message = read_telegram(adapter, data)
    assert message is None or isinstance(message, InboundMessage)


@VALID
@given(telegram_updates())
def test_telegram_update_maps_to_its_message(adapter, pair):
    data, want = pair
    assert fields(read_telegram(adapter, data)) == want


# --- Rubika --------------------------------------------------------------------------------------

RUBIKA_ID = st.from_regex(r"[A-Za-z0-9_\-]{1,40}", fullmatch=True)


@st.composite
def rubika_updates(draw) -> tuple[dict, dict]:
    chat_id, sender, message_id = draw(RUBIKA_ID), draw(RUBIKA_ID), draw(RUBIKA_ID | st.integers(min_value=0, max_value=2**62))
    kind = draw(st.sampled_from(["text", "button", "file", "inline"]))
    message = {
        "message_id": message_id,
        "text": None,
        "time": str(int(time.time())),
        "sender_type": "User",
        "sender_id": sender,
        "aux_data": {"start_id": None, "button_id": None},
    }
    base = ("rubika", chat_id, sender, str(message_id))
    if kind == "text":
        message["text"] = draw(WORDS)
        want = expected(*base, text=message["text"])
    elif kind in ("button", "inline"):
        button = draw(st.text(min_size=1, max_size=64))
        message["aux_data"]["button_id"] = button
        want = expected(*base, button_id=button)
    else:
        message["file"] = {"file_id": "1", "file_name": "a.jpg"}
        want = expected(*base, kind="unsupported")
    if kind == "inline":
        return {"inline_message": {**message, "chat_id": chat_id}}, want
    return {"update": {"type": "NewMessage", "chat_id": chat_id, "new_message": message}}, want


@FUZZ
@given(JSON | st.dictionaries(st.sampled_from(KEYS), JSON, max_size=4) | mutated(rubika_updates().map(lambda p: p[0])))
def test_rubika_update_never_raises_but_is_ignored(body):
    message = rubika.inbound(body)
    assert message is None or isinstance(message, InboundMessage)


@VALID
@given(rubika_updates())
def test_rubika_update_maps_to_its_message(pair):
    body, want = pair
    assert fields(rubika.inbound(body)) == want


# --- agency case callbacks -----------------------------------------------------------------------

CHANGE = st.fixed_dictionaries(
    {"tracking_code": st.from_regex(r"[0-9]{6,30}", fullmatch=True), "status_text": st.text(min_size=1, max_size=200)},
    optional={"updated_at": st.text(max_size=64)},
)


@FUZZ
@given(
    st.binary(max_size=300) | JSON.map(lambda v: json.dumps(v).encode()) | mutated(CHANGE).map(lambda v: json.dumps(v).encode())
)
def test_case_change_never_raises_but_is_refused(raw):
    try:
        change = CaseChange.model_validate_json(raw)
    except ValidationError:
        return
    assert re.fullmatch(r"[0-9]{6,30}", change.tracking_code)


@VALID
@given(CHANGE)
def test_case_change_reads_as_sent(body):
    change = CaseChange.model_validate_json(json.dumps(body, ensure_ascii=False).encode())
    assert change.model_dump(exclude_none=True) == body


@FUZZ
@given(
    st.text(max_size=20) | st.sampled_from(["9" * 400, "١٧٠٠٠٠٠٠٠٠", "1_700_000_000", " 1700000000"]),
    st.text(max_size=80) | st.just("sha256=\udcff"),
    st.binary(max_size=100),
)
def test_any_signature_is_checked_never_raises(timestamp, signature, body):
    assert verify("secret", timestamp, signature, body) in ("stale", "bad_signature")


@VALID
@given(CHANGE, st.integers(min_value=-290, max_value=290))
def test_a_signed_change_is_let_in_while_fresh(body, skew):
    raw, now = json.dumps(body).encode(), time.time()
    timestamp = str(int(now) + skew)
    assert verify("secret", timestamp, sign("secret", timestamp, raw), raw, now=now) is None
    assert verify("secret", timestamp, sign("other", timestamp, raw), raw, now=now) == "bad_signature"
    old = str(int(now) - 400)
    assert verify("secret", old, sign("secret", old, raw), raw, now=now) == "stale"
