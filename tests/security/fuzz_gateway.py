"""Generated bodies against a running gateway's webhooks, and what it answered.

``make fuzz`` sends 100,000 (tests/security/test_fuzz_gateway.py with HAMYAR_FUZZ_BODIES) and
``make test`` 2,000, to every inbound door of one gateway process: the generic webhook (an SMS
bridge without buttons and Eitaa with them, validly signed), a Telegram-compatible messenger
(with its secret), Rubika, and an agency's case callbacks (signed). Most bodies are malformed:
a valid body with one part replaced by random JSON, random JSON, random bytes, bad or stale
signatures, wrong secrets, oversized bodies. A share are valid, with everyday or odd text
(«²», 5,000 Persian digits, a typed ``/greet`` behind a bidi mark...), and go all the way to Rasa.

Each body is made from its own seed (``seed`` and its number), so a body that failed can be
made again: ``Generator(doors, seed).make(number)``.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import string
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import aiohttp

from connectors.signing import sign

# What a gateway log must never hold after a run: an unhandled exception (aiohttp writes "Error
# handling request" with a traceback for a handler that raised, which answered 500).
UNHANDLED = re.compile(r"Traceback|Error handling request| CRITICAL ")


@dataclass(frozen=True)
class Doors:
    """Where the gateway listens and the secrets its doors need."""

    base: str
    sms_secret: str
    eitaa_secret: str
    messenger: str
    messenger_secret: str
    rubika_secret: str
    agency: str
    agency_secret: str
    agency_code_prefix: str = "7"
    agency_code_digits: int = 12


@dataclass
class Body:
    door: str
    path: str
    headers: dict
    data: bytes
    valid: bool
    # Made to be answered by Rasa (a valid text, shared phone or deep link): the slow lane.
    rasa: bool = False
    # A valid body's text, to be sent again later as the same message (a retry).
    replay: Optional[Callable[[], "Body"]] = None


# Everyday things citizens write, and odd things they (or an attacker) may.
WORDS = [
    "سلام",
    "سلام وقت بخیر",
    "وضعیت پرونده",
    "پرونده ام چی شد",
    "سامانه گذرنامه کار میکنه؟",
    "سامانه کارت ملی کار میکنه؟",
    "منو",
    "راهنما",
    "گذرنامه",
    "تامین اجتماعی",
    "ممنون",
    "خداحافظ",
    "شکایت دارم",
    "اپراتور",
    "salam",
    "vaziat parvande",
    "1",
    "۲",
    "٣",
    "نه",
    "بله",
    "👍",
    "🙏",
    "دوباره بگو",
    "کد رهگیری ۱۴۰۳۱۲۳۴۵۶",
]
ODD = [
    "²",
    "①",
    "½",
    "۱" * 5000,
    "9" * 5000,
    "۱۲۳۴",
    "/greet",
    "/ /greet",
    "\u200f/greet",
    "\u200b/greet",
    "／greet",
    "//greet",
    '/intent{"national_id": "1234567890"}',
    "\x00",
    "\ufeff",
    "ا" * 4096,
    "ا" * 4097,
    "a " * 2000,
    "\u202eسلام",
    "<script>alert(1)</script>",
    "'; DROP TABLE x; --",
    "%s%s%n",
    "{{7*7}}",
    "\\",
    "ِ" * 300,
    "👨‍👩‍👧‍👦" * 50,
    "\r\n\r\n",
    " ",
    "",
    "-1",
    "0",
    "1e9",
    "999",
]
_ALPHABET = [
    (0x20, 0x7E),
    (0x600, 0x6FF),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x1F300, 0x1F6FF),
    (0xA0, 0x2FF),
    (0x900, 0x97F),
    (0xFF00, 0xFF5E),
]
# Field names of every inbound body, mixed into generated ones so that they look half right.
FIELD_NAMES = [
    "update_id",
    "message",
    "edited_message",
    "channel_post",
    "callback_query",
    "message_id",
    "date",
    "chat",
    "id",
    "type",
    "from",
    "is_bot",
    "first_name",
    "text",
    "contact",
    "phone_number",
    "user_id",
    "data",
    "photo",
    "entities",
    "update",
    "inline_message",
    "new_message",
    "chat_id",
    "sender_id",
    "aux_data",
    "button_id",
    "file",
    "sticker",
    "location",
    "payload",
    "phone",
    "tracking_code",
    "status_text",
    "updated_at",
    "x",
]


def _text(rng: random.Random, size: int) -> str:
    return "".join(chr(rng.randint(*rng.choice(_ALPHABET))) for _ in range(size))


def _json(rng: random.Random, depth: int = 0) -> Any:
    """A random JSON value, shallow and small."""
    roll = rng.random()
    if depth > 3 or roll < 0.55:
        return rng.choice(
            [
                None,
                True,
                False,
                0,
                -1,
                1,
                2**31,
                2**63,
                -(2**70),
                10**30,
                10**200,
                0.5,
                -1e300,
                "",
                "0",
                "x",
                _text(rng, rng.randint(0, 20)),
                rng.choice(ODD[:20]),
                rng.randint(-1000, 10**12),
            ]
        )
    if roll < 0.75:
        return [_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {
        rng.choice(FIELD_NAMES) if rng.random() < 0.7 else _text(rng, 3): _json(rng, depth + 1) for _ in range(rng.randint(0, 5))
    }


def _mutate(rng: random.Random, value: Any) -> Any:
    """``value`` with one part replaced by random JSON, or dropped."""
    paths: list[tuple] = []

    def walk(node: Any, path: tuple) -> None:
        paths.append(path)
        if isinstance(node, dict):
            for key, item in node.items():
                walk(item, path + (key,))
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, path + (index,))

    walk(value, ())
    path = rng.choice(paths)
    if not path:
        return _json(rng)
    parent = value
    for step in path[:-1]:
        parent = parent[step]
    if rng.random() < 0.2:
        del parent[path[-1]]
    else:
        parent[path[-1]] = _json(rng)
    return value


def _raw(rng: random.Random) -> bytes:
    """Bytes that are not the JSON object a door wants."""
    return rng.choice(
        [
            lambda: bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 200))),
            lambda: b"",
            lambda: b"null",
            lambda: b"[]",
            lambda: b'"x"',
            lambda: b"{" * rng.randint(1, 5000),
            lambda: b'{"a": ' + b"[" * 3000 + b"]" * 3000 + b"}",
            lambda: b'{"update_id": 1, "message": {"text": "\\ud800"}}',
            lambda: b'{"update_id": NaN}',
            lambda: b'{"update_id": 1e999}',
            lambda: b'{"message_id": "m", "message_id": 5}',
            lambda: json.dumps(_json(rng)).encode()[: rng.randint(0, 50)],
            lambda: '{"text": "سلام"}'.encode("utf-16"),
        ]
    )()


def _id(rng: random.Random, size: int = 12) -> str:
    return "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(size))


def _message_text(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.55:
        return rng.choice(WORDS)
    if roll < 0.9:
        return rng.choice(ODD)
    return _text(rng, rng.randint(1, 60))


class Generator:
    """Makes body number ``n`` of a run, the same every time for the same seed."""

    def __init__(self, doors: Doors, seed: int = 20, valid_share: float = 0.01) -> None:
        self.doors = doors
        self.seed = seed
        self.valid_share = valid_share
        self.done: list[Body] = []  # valid bodies already answered, to send again

    # -- valid bodies, one kind per door --------------------------------------------------------

    # ``rich``: the kinds that Rasa answers (text, a shared phone, a deep link); the others (an
    # expired button, a photo, an empty text, another event) the gateway answers itself. Malformed
    # bodies are made from the others, so a mutation that leaves a body readable does not add
    # a Rasa turn: Rasa's pace (a few turns a second here) would set the whole run's.

    def _generic(self, rng: random.Random, rich: bool) -> dict:
        body = {"message_id": _id(rng), "user_id": "u" + _id(rng, 8), "chat_id": "fz" + _id(rng, 10)}
        roll = rng.random()
        if rich and roll < 0.9:
            body["text"] = _message_text(rng)
        elif rich:
            body["contact"] = {"phone": "0912" + str(rng.randint(1000000, 9999999)), "user_id": body["user_id"]}
        elif roll < 0.6:
            body["payload"] = _id(rng, rng.randint(1, 64))  # not a button this gateway issued: expired
        else:
            body["text"] = rng.choice(["", " ", "\u200c\u200f"])
        return body

    def _telegram(self, rng: random.Random, rich: bool) -> dict:
        chat_id = rng.randint(10**9, 10**12) * rng.choice([1, 1, -1])
        user_id, message_id, update_id = rng.randint(10**9, 10**12), rng.randint(1, 10**9), rng.randint(1, 2**31)
        sender = {"id": user_id, "is_bot": False, "first_name": _text(rng, 5) or "x"}
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": sender,
        }
        roll = rng.random()
        if rich and roll < 0.75:
            message["text"] = _message_text(rng)
        elif rich and roll < 0.9:
            message["text"] = rng.choice(
                [
                    "/start",
                    "/start guide-passport-new",
                    "/start case",
                    "/start status",
                    "/start guide-nope",
                    "/start " + _text(rng, 20),
                ]
            )
        elif rich:
            message["contact"] = {
                "phone_number": "98912" + str(rng.randint(1000000, 9999999)),
                "first_name": "x",
                "user_id": user_id,
            }
        elif roll < 0.3:
            message["photo"] = [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]
        elif roll < 0.45:
            message["location"] = {"latitude": 35.7, "longitude": 51.4}
        elif roll < 0.85:
            query = {
                "id": str(rng.randint(1, 10**18)),
                "chat_instance": "i",
                "from": sender,
                "data": _id(rng, rng.randint(1, 64)),
                "message": {**message, "text": "x"},
            }
            return {"update_id": update_id, "callback_query": query}
        else:
            return {
                "update_id": update_id,
                "my_chat_member": {
                    "chat": message["chat"],
                    "from": sender,
                    "date": 0,
                    "old_chat_member": {"status": "member", "user": sender},
                    "new_chat_member": {"status": "left", "user": sender},
                },
            }
        return {"update_id": update_id, "message": message}

    def _rubika(self, rng: random.Random, rich: bool) -> dict:
        chat_id, message_id = "b0" + _id(rng, 14), str(rng.randint(1, 10**15))
        message = {
            "message_id": message_id,
            "text": None,
            "time": str(int(time.time())),
            "is_edited": False,
            "sender_type": "User",
            "sender_id": "u0" + _id(rng, 10),
            "aux_data": {"start_id": None, "button_id": None},
        }
        roll = rng.random()
        if rich:
            message["text"] = _message_text(rng)
        elif roll < 0.35:
            message["file"] = {"file_id": "1", "file_name": "a.jpg", "size": "10"}
        elif roll < 0.7:
            message["aux_data"]["button_id"] = _id(rng, 8)
            return {"inline_message": {**message, "chat_id": chat_id}}
        else:
            return {
                "update": {
                    "type": rng.choice(["StartedBot", "StoppedBot", "UpdatedMessage", "RemovedMessage"]),
                    "chat_id": chat_id,
                }
            }
        return {"update": {"type": "NewMessage", "chat_id": chat_id, "new_message": message}}

    def _agency(self, rng: random.Random) -> dict:
        code = self.doors.agency_code_prefix + "".join(rng.choice(string.digits) for _ in range(self.doors.agency_code_digits))
        change = {"tracking_code": code, "status_text": rng.choice(["در حال بررسی", "تکمیل شد", _message_text(rng)[:200] or "x"])}
        if rng.random() < 0.5:
            change["updated_at"] = "2026-12-06T10:00:00+03:30"
        return change

    # -- putting a body at a door ---------------------------------------------------------------

    def _signed(self, rng: random.Random, secret: str, data: bytes, attack: bool) -> dict:
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Hamyar-Timestamp": timestamp,
            "X-Hamyar-Signature": sign(secret, timestamp, data),
        }
        if attack:
            kind = rng.randrange(8)
            if kind == 0:
                headers["X-Hamyar-Signature"] = sign("not-the-secret", timestamp, data)
            elif kind == 1:
                old = str(int(time.time()) - 301 - rng.randint(0, 10**6))
                headers.update({"X-Hamyar-Timestamp": old, "X-Hamyar-Signature": sign(secret, old, data)})
            elif kind == 2:
                headers["X-Hamyar-Timestamp"] = "9" * rng.randint(13, 400)
            elif kind == 3:
                headers["X-Hamyar-Timestamp"] = "".join("٠١٢٣٤٥٦٧٨٩"[int(d)] for d in timestamp)
            elif kind == 4:
                del headers["X-Hamyar-Signature"]
            elif kind == 5:
                headers["X-Hamyar-Signature"] = sign(secret, timestamp, data + b" ")
            elif kind == 6:
                headers["X-Hamyar-Signature"] = "sha256=" + _text(rng, 64)
            else:
                headers["X-Hamyar-Timestamp"] = " " + timestamp
        return headers

    def _body(self, rng: random.Random, door: str, valid_obj: Callable[[], Any], mode: str) -> Body:
        d = self.doors
        if mode in ("valid", "attack"):  # an attack is a valid body at the wrong door or wrongly signed
            obj = valid_obj()
        elif mode == "mutated":
            obj = _mutate(rng, valid_obj())
        else:
            obj = _json(rng)
        data = _raw(rng) if mode == "raw" else json.dumps(obj, ensure_ascii=rng.random() < 0.5).encode()
        if mode == "oversize":
            data = json.dumps({**valid_obj(), "x": "x" * 70000}).encode()
        attack = mode == "attack"
        if door in ("sms", "eitaa"):
            secret = d.sms_secret if door == "sms" else d.eitaa_secret
            path = f"/webhooks/generic/{door}"
            if attack and rng.random() < 0.2:
                path = rng.choice(["/webhooks/generic/nope", "/webhooks/generic/soroush", "/webhooks/generic/" + _id(rng, 5)])
            headers = self._signed(rng, secret, data, attack)
        elif door == "agency":
            path = f"/webhooks/agency/{d.agency}/case-updates"
            if attack and rng.random() < 0.2:
                path = rng.choice(["/webhooks/agency/sabt/case-updates", "/webhooks/agency/nope/case-updates"])
            headers = self._signed(rng, d.agency_secret, data, attack)
        elif door == "telegram":
            path, headers = (
                f"/webhooks/messenger/{d.messenger}/{d.messenger_secret}",
                {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": d.messenger_secret},
            )
            if attack:
                roll = rng.randrange(4)
                if roll == 0:
                    path = f"/webhooks/messenger/{d.messenger}/{_id(rng, 24)}"
                elif roll == 1:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = _id(rng, 24)
                elif roll == 2:
                    path = f"/webhooks/messenger/rubika/{d.rubika_secret}"
                else:
                    headers["Content-Type"] = rng.choice(
                        ["text/plain", "application/json; charset=nonesuch", "application/x-www-form-urlencoded"]
                    )
        else:
            kind = rng.choice(["update", "inline"])
            path, headers = f"/webhooks/rubika/{d.rubika_secret}/{kind}", {"Content-Type": "application/json"}
            if attack:
                path = rng.choice([f"/webhooks/rubika/{_id(rng, 24)}/update", f"/webhooks/rubika/{d.rubika_secret}/other"])
        return Body(door, path, headers, data, valid=mode == "valid")

    def make(self, number: int) -> Body:
        rng = random.Random(self.seed * 1_000_003 + number)
        if self.done and rng.random() < 0.005:
            # Taken out, so that no two copies of it are in flight at once (that is a messenger
            # retrying while its first attempt still runs: told to come back, with a 500).
            return self.done.pop(rng.randrange(len(self.done))).replay()
        door = rng.choices(["sms", "eitaa", "telegram", "rubika", "agency"], weights=[22, 12, 28, 22, 16])[0]
        rich = rng.random() < self.valid_share
        valid_obj = {
            "sms": lambda: self._generic(rng, rich),
            "eitaa": lambda: self._generic(rng, rich),
            "telegram": lambda: self._telegram(rng, rich),
            "rubika": lambda: self._rubika(rng, rich),
            "agency": lambda: self._agency(rng),
        }[door]
        if rich:
            mode = "valid"
        else:
            mode = rng.choices(["valid", "mutated", "json", "raw", "attack", "oversize"], weights=[5, 50, 15, 12, 17, 1])[0]
        body = self._body(rng, door, valid_obj, mode)
        body.rasa = rich and door != "agency"
        if body.valid:
            # The same message again, signed anew: a bridge's or messenger's retry.
            obj, again = json.loads(body.data), random.Random(number)
            body.replay = lambda: self._body(again, door, lambda: json.loads(json.dumps(obj)), "valid")
        return body


@dataclass
class Report:
    bodies: int = 0
    valid: int = 0
    rasa: int = 0
    seconds: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    by_door: dict = field(default_factory=lambda: defaultdict(Counter))
    # Seconds spent waiting for answers, by door and status (where the time goes).
    waited: Counter = field(default_factory=Counter)
    failures: list = field(default_factory=list)  # (number, door, status or error): 5xx and broken connections
    rss_start_kb: int = 0
    rss_end_kb: int = 0
    rss_peak_kb: int = 0
    log_problems: list = field(default_factory=list)

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if not isinstance(status, int) or status >= 500)

    def text(self) -> str:
        lines = [
            f"bodies {self.bodies} (valid {self.valid}, for Rasa {self.rasa}) in {self.seconds:.1f} s: {self.bodies / max(self.seconds, 1e-9):.0f} a second",
            "answers " + ", ".join(f"{status}: {n}" for status, n in sorted(self.statuses.items(), key=str)),
            *(
                f"  {door}: "
                + ", ".join(f"{s}: {n} ({self.waited[door, s] / n * 1000:.0f} ms)" for s, n in sorted(c.items(), key=str))
                for door, c in sorted(self.by_door.items())
            ),
            f"5xx or broken: {self.server_errors}" + (f" (first: {self.failures[:5]})" if self.failures else ""),
            f"gateway RSS: {self.rss_start_kb / 1024:.1f} MB at start, {self.rss_end_kb / 1024:.1f} MB at end, {self.rss_peak_kb / 1024:.1f} MB at most",
            f"unhandled exceptions in the gateway log: {len(self.log_problems)}"
            + (f" (first: {self.log_problems[:3]})" if self.log_problems else ""),
        ]
        return "\n".join(lines)


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def run(
    doors: Doors,
    count: int,
    *,
    gateway_pid: int,
    gateway_log: Path,
    concurrency: int = 32,
    rasa_concurrency: int = 4,
    seed: int = 20,
    valid_share: float = 0.01,
    progress: Optional[Callable[[str], None]] = None,
) -> Report:
    """Sends ``count`` bodies and reports what came back. Bodies for Rasa go in a lane of their
    own, ``rasa_concurrency`` at a time (Rasa turns one at a time anyway); the others, which the
    gateway answers itself, ``concurrency`` at a time, so they do not wait behind Rasa turns.
    The run ends when both lanes are empty: the slower sets its length."""
    generator = Generator(doors, seed, valid_share)
    report = Report(rss_start_kb=rss_kb(gateway_pid))
    report.rss_peak_kb = report.rss_start_kb
    log_start = gateway_log.stat().st_size if gateway_log.exists() else 0
    started = time.monotonic()
    lanes = {False: asyncio.Queue(maxsize=concurrency), True: asyncio.Queue()}
    timeout = aiohttp.ClientTimeout(total=120)

    async with aiohttp.ClientSession(
        base_url=doors.base, connector=aiohttp.TCPConnector(limit=concurrency + rasa_concurrency), timeout=timeout
    ) as session:

        async def send(number: int, body: Body) -> None:
            sent = time.monotonic()
            try:
                async with session.post(body.path, data=body.data, headers=body.headers) as response:
                    await response.read()
                    status: Any = response.status
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                status = type(error).__name__
            report.statuses[status] += 1
            report.by_door[body.door][status] += 1
            report.waited[body.door, status] += time.monotonic() - sent
            report.bodies += 1
            report.valid += body.valid
            report.rasa += body.rasa
            if not isinstance(status, int) or status >= 500:
                report.failures.append((number, body.door, status))
            elif body.replay is not None and len(generator.done) < 1000:
                generator.done.append(body)

        async def worker(lane: asyncio.Queue) -> None:
            while (item := await lane.get()) is not None:
                await send(*item)

        async def produce() -> None:
            for number in range(count):
                body = generator.make(number)
                await lanes[body.rasa].put((number, body))
            for lane, workers in ((lanes[False], concurrency), (lanes[True], rasa_concurrency)):
                for _ in range(workers):
                    await lane.put(None)

        async def watch() -> None:
            ticks = 0
            while True:
                await asyncio.sleep(1)  # a sampling interval, not a wait for something to happen
                ticks += 1
                report.rss_peak_kb = max(report.rss_peak_kb, rss_kb(gateway_pid))
                if progress is not None and ticks % 15 == 0:
                    rate = report.bodies / (time.monotonic() - started)
                    progress(
                        f"{report.bodies} sent, {rate:.0f} a second, {report.server_errors} 5xx, gateway RSS {rss_kb(gateway_pid) / 1024:.0f} MB"
                    )

        watcher = asyncio.create_task(watch())
        try:
            await asyncio.gather(
                produce(),
                *(worker(lanes[False]) for _ in range(concurrency)),
                *(worker(lanes[True]) for _ in range(rasa_concurrency)),
            )
        finally:
            watcher.cancel()
    report.seconds = time.monotonic() - started
    report.rss_end_kb = rss_kb(gateway_pid)
    report.rss_peak_kb = max(report.rss_peak_kb, report.rss_end_kb)
    with open(gateway_log, "rb") as handle:
        handle.seek(log_start)
        report.log_problems = [
            line.decode(errors="replace")[:200] for line in handle if UNHANDLED.search(line.decode(errors="replace"))
        ]
    return report
