"""Issue 20, item 7 and the web chat's part of item 9: sessions the gateway issues and signs,
rate limits, one Redis reader for every open event stream, caps on streams, security headers,
masked echoes, and «خداحافظ» clearing the history.

The real gateway app on a loopback port with a real redis-server. Rasa's place is taken by a
small loopback server speaking Hamyar's channel (bot/channel.py): it answers every turn with
one reply and «خداحافظ» with the goodbye reply of bot/replies.yml, shaped as Rasa sends it (the
reply's "custom" part as a message of its own), so no trained model is needed.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import Optional

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from yarl import URL

from connectors.gateway import create_app
from connectors.settings import GatewaySettings
from connectors.web import chat_id_of
from content.replies import Replies
from tests.integration.conftest import close_within

SECRET = "s" * 16 + uuid.uuid4().hex
ANSWER = "پاسخ همیار"


def rasa_stand_in() -> web.Application:
    goodbye = Replies().render("goodbye")

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def turn(request: web.Request) -> web.Response:
        body = await request.json()
        sender = body["sender"]
        if body.get("text") == "خداحافظ":
            messages = [{"recipient_id": sender, "text": goodbye["text"]}]
            if goodbye["custom"]:
                messages.append({"recipient_id": sender, "custom": goodbye["custom"]})
        else:
            messages = [{"recipient_id": sender, "text": ANSWER}]
        return web.json_response({"messages": messages})

    app = web.Application()
    app.router.add_get("/webhooks/hamyar/", health)
    app.router.add_post("/webhooks/hamyar/webhook", turn)
    return app


@pytest.fixture
async def start_gateway(redis_server, redis):
    """Starts the gateway with the given settings; closes everything afterwards."""
    servers: list[TestServer] = []
    rasa = TestServer(rasa_stand_in(), host="127.0.0.1")
    await rasa.start_server()
    servers.append(rasa)

    async def start(**overrides) -> str:
        values = dict(
            rasa_channel_token="t",
            rasa_url=str(rasa.make_url("")).rstrip("/"),
            redis_url=redis_server,
            publish_content_on_start=False,
            case_poll_seconds=0,
            web_session_secret=SECRET,
            sse_keepalive_seconds=0.3,
        )
        values.update(overrides)
        gateway = TestServer(create_app(GatewaySettings(**values)), host="127.0.0.1")
        await gateway.start_server()
        servers.append(gateway)
        return str(gateway.make_url("")).rstrip("/")

    yield start
    for server in reversed(servers):
        await close_within(server)


class Page:
    """One browser: its cookie jar, the page, its messages and its event streams."""

    def __init__(self, base: str, cookie: Optional[str] = None, headers: Optional[dict] = None) -> None:
        self.base = base
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), headers=headers or {})
        if cookie is not None:
            self.http.cookie_jar.update_cookies({"hamyar_chat": cookie}, response_url=URL(base))

    @property
    def cookie(self) -> Optional[str]:
        return next((c.value for c in self.http.cookie_jar if c.key == "hamyar_chat"), None)

    @property
    def conversation(self) -> str:
        return f"web:{chat_id_of(self.cookie, SECRET)}"

    async def open(self) -> aiohttp.ClientResponse:
        async with self.http.get(self.base + "/") as response:
            await response.read()
            return response

    async def post(self, body: dict) -> tuple[int, dict, aiohttp.ClientResponse]:
        body.setdefault("message_id", uuid.uuid4().hex)
        async with self.http.post(self.base + "/chat/messages", json=body) as response:
            return response.status, await response.json(content_type=None), response

    async def stream(self, last_event_id: Optional[str] = None) -> "Stream":
        headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
        response = await self.http.get(
            self.base + "/chat/events", headers=headers, timeout=aiohttp.ClientTimeout(total=None, sock_read=30)
        )
        return Stream(response)

    async def close(self) -> None:
        await self.http.close()


class Stream:
    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response
        self.last_id: Optional[str] = None

    @property
    def status(self) -> int:
        return self.response.status

    async def _line(self) -> str:
        return (await asyncio.wait_for(self.response.content.readline(), 20)).decode().rstrip("\n")

    async def connected(self) -> None:
        assert await self._line() == ": connected"

    async def events(self, count: int) -> list[dict]:
        """The next ``count`` events."""
        found: list[dict] = []
        entry_id = None
        while len(found) < count:
            line = await self._line()
            if line.startswith("id: "):
                entry_id = line[4:]
            elif line.startswith("data: "):
                found.append(json.loads(line[6:]))
                self.last_id = entry_id
        return found

    async def caught_up(self) -> list[dict]:
        """Every event until the stream has nothing more to send (its next keep-alive)."""
        found: list[dict] = []
        entry_id = None
        while (line := await self._line()) != ": keep-alive":
            if line.startswith("id: "):
                entry_id = line[4:]
            elif line.startswith("data: "):
                found.append(json.loads(line[6:]))
                self.last_id = entry_id
        return found

    def close(self) -> None:
        self.response.close()


async def new_page(base: str, **kwargs) -> Page:
    page = Page(base, **kwargs)
    assert (await page.open()).status == 200
    return page


async def test_a_cookie_the_gateway_did_not_sign_gets_a_fresh_session(start_gateway, redis):
    base = await start_gateway()
    made_up = "a" * 40  # accepted as a session before
    page = Page(base, cookie=made_up)
    status, body, _ = await page.post({"text": "سلام"})
    assert status == 401 and body == {"error": "no_session"}
    assert (await page.open()).status == 200
    assert page.cookie != made_up and chat_id_of(page.cookie, SECRET) is not None
    status, _, _ = await page.post({"text": "سلام"})
    assert status == 200
    # The message went to the new session's conversation, not to one the made-up cookie names.
    assert await redis.exists(f"hamyar:outbox:{page.conversation}")
    assert [k for k in await redis.keys("hamyar:outbox:*") if k != f"hamyar:outbox:{page.conversation}"] == []

    genuine = page.cookie
    value, signature = genuine.rsplit(".", 1)
    tampered = value[:-1] + ("b" if value[-1] != "b" else "c") + "." + signature
    from connectors.websession import WebSessions

    other_key, _ = WebSessions("k" * 40, 3600).issue()
    for forged in (tampered, other_key, genuine + "x", ""):
        forger = Page(base, cookie=forged)
        status, _, _ = await forger.post({"text": "سلام"})
        assert status == 401, forged
        async with forger.http.get(base + "/chat/events") as response:
            assert response.status == 401
        assert (await forger.open()).status == 200
        assert forger.cookie not in (forged, genuine)
        await forger.close()
    await page.close()


async def test_messages_are_limited_per_session_and_per_address(start_gateway):
    base = await start_gateway(
        web_messages_per_minute=3, web_address_messages_per_minute=4, web_client_address_header="X-Real-IP"
    )
    first = await new_page(base, headers={"X-Real-IP": "10.0.0.1"})
    for _ in range(3):
        assert (await first.post({"text": "سلام"}))[0] == 200
    status, body, response = await first.post({"text": "سلام"})
    assert status == 429
    assert body["text"] == Replies().render("web_slow_down")["text"] and 1 <= int(response.headers["Retry-After"]) <= 60
    # A second session from the same address has its own count, until the address's is used up.
    second = await new_page(base, headers={"X-Real-IP": "10.0.0.1"})
    assert (await second.post({"text": "سلام"}))[0] == 200
    assert (await second.post({"text": "سلام"}))[0] == 429
    # Another address is not held back by this one.
    third = await new_page(base, headers={"X-Real-IP": "10.0.0.2"})
    assert (await third.post({"text": "سلام"}))[0] == 200
    for page in (first, second, third):
        await page.close()


async def test_new_sessions_are_limited_per_address(start_gateway):
    base = await start_gateway(web_new_sessions_per_minute=2)
    pages = [Page(base) for _ in range(3)]
    assert [(await p.open()).status for p in pages] == [200, 200, 429]
    assert pages[2].cookie is None
    # A page that has its session is still served.
    assert (await pages[0].open()).status == 200
    for page in pages:
        await page.close()


def blocked_clients(client_list: list[dict]) -> int:
    """Connections of this test's database blocked in XREAD (not other blocking readers)."""
    return sum(1 for c in client_list if "b" in c["flags"] and c["db"] == "0" and c["cmd"] == "xread")


async def test_one_redis_reader_serves_every_open_stream(start_gateway, redis):
    base = await start_gateway(web_new_sessions_per_minute=0)
    pages = [await new_page(base) for _ in range(100)]
    streams = [await page.stream() for page in pages]
    for stream in streams:
        assert stream.status == 200
        await stream.connected()
        assert await stream.caught_up() == []
    clients = await redis.client_list()
    seen = [(c["name"], c["cmd"], c["flags"]) for c in clients if c["db"] == "0"]
    # The one reader may be between two reads just now; no page holds a connection of its own.
    assert blocked_clients(clients) <= 1, f"{blocked_clients(clients)} connections blocked in XREAD for 100 streams"
    assert len(seen) <= 16, seen
    # Each page gets its own replies, and only those.
    for page, stream in list(zip(pages, streams))[:5]:
        await page.post({"text": "سلام"})
        assert [(e["sender"], e["text"]) for e in await stream.events(2)] == [("user", "سلام"), ("bot", ANSWER)]
    for stream in streams[:10]:
        assert await stream.caught_up() == []
    # A reply that comes while the page reconnects is not lost: it resumes after its last event.
    page, stream = pages[0], streams[0]
    stream.close()
    await page.post({"text": "دوباره"})
    again = await page.stream(last_event_id=stream.last_id)
    await again.connected()
    assert [e["text"] for e in await again.caught_up()] == ["دوباره", ANSWER]
    again.close()
    for stream in streams:
        stream.close()
    for page in pages:
        await page.close()


async def test_open_streams_are_capped_per_session_and_overall(start_gateway):
    base = await start_gateway(web_streams_per_session=2, web_max_streams=3)
    first, second, third = [await new_page(base) for _ in range(3)]
    open_streams = [await first.stream(), await first.stream()]
    assert [s.status for s in open_streams] == [200, 200]
    refused = await first.stream()
    assert refused.status == 429 and (await refused.response.json())["text"] == Replies().render("web_try_later")["text"]
    open_streams.append(await second.stream())
    assert open_streams[-1].status == 200
    refused = await third.stream()
    assert refused.status == 503 and refused.response.headers["Retry-After"]
    # A page that closes frees its place.
    open_streams.pop(0).close()
    for _ in range(200):
        retry = await third.stream()
        if retry.status == 200:
            break
        await asyncio.wait_for(retry.response.read(), 5)
    assert retry.status == 200
    for stream in (*open_streams, retry):
        stream.close()
    for page in (first, second, third):
        await page.close()


async def test_security_headers_on_the_page_and_the_api(start_gateway):
    base = await start_gateway(public_url="https://hamyar.example")
    page = Page(base)
    response = await page.open()
    answers = [response]
    set_cookie = response.headers.getall("Set-Cookie")[0]
    assert "Secure" in set_cookie and "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie
    # The test client speaks plain http to loopback, so it sends the Secure cookie by hand.
    cookie = re.match(r"hamyar_chat=([^;]+)", set_cookie).group(1)
    page.http.cookie_jar.update_cookies({"hamyar_chat": cookie}, response_url=URL(base))
    answers.append((await page.post({"text": "سلام"}))[2])
    stream = await page.stream()
    answers.append(stream.response)
    async with page.http.get(base + "/static/chat.js") as script:
        answers.append(script)
    async with page.http.post(base + "/chat/messages", data=b"{}", headers={"Origin": "https://evil.example"}) as refused:
        assert refused.status == 403
        answers.append(refused)
    for answer in answers:
        policy = answer.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy, answer.url
        assert answer.headers.get("X-Content-Type-Options") == "nosniff"
        assert answer.headers.get("Referrer-Policy") == "no-referrer"
    stream.close()
    await page.close()
    # Served over plain http (no https PUBLIC_URL), a Secure cookie would never come back.
    plain = Page(await start_gateway(public_url=""))
    assert "Secure" not in (await plain.open()).headers.getall("Set-Cookie")[0]
    await plain.close()


async def test_the_echo_keeps_no_national_id_phone_or_code_in_clear(start_gateway, redis):
    base = await start_gateway()
    page = await new_page(base)
    typed = ["کد ملی من 0016383230 است", "شماره‌ام ۰۹۱۲ ۱۰۰ ۰۱۰۱", "کد ۴۸۲۱۳", "کدملی۱۲۸۳۵۶۴۸۰۷ و سه تا"]
    for text in typed:
        assert (await page.post({"text": text}))[0] == 200
    stream = await page.stream()
    await stream.connected()
    echoes = [e["text"] for e in await stream.caught_up() if e["sender"] == "user"]
    assert echoes == ["کد ملی من ********30 است", "شماره‌ام *********۰۱", "کد *****", "کدملی********۰۷ و سه تا"]
    stored = " ".join(fields["message"] for _, fields in await redis.xrange(f"hamyar:outbox:{page.conversation}"))
    from nlu.persian import ascii_digits

    for secret in ("0016383230", "09121000101", "48213", "1283564807"):
        assert secret not in ascii_digits(stored).replace(" ", "")
    stream.close()
    await page.close()


async def test_goodbye_clears_the_history_a_reload_shows(start_gateway):
    base = await start_gateway()
    page = await new_page(base)
    await page.post({"text": "سلام"})
    # A reload before goodbye still shows the conversation.
    reload = await page.stream()
    await reload.connected()
    assert [e["text"] for e in await reload.caught_up()] == ["سلام", ANSWER]
    open_page = reload
    await page.post({"text": "خداحافظ"})
    goodbye = Replies().render("goodbye")["text"]
    # The page that is open hears goodbye with the sign to empty what it shows (it may or may
    # not read the echo of «خداحافظ» before the history is cleared).
    seen = await open_page.events(1)
    if seen[0]["sender"] == "user":
        seen = await open_page.events(1)
    assert (seen[0]["text"], seen[0].get("clear_history")) == (goodbye, True)
    open_page.close()
    # A reload after goodbye shows nothing of the conversation.
    after = await page.stream()
    await after.connected()
    assert [e["text"] for e in await after.caught_up()] == [goodbye]
    # The conversation goes on after goodbye, and a page resuming from its last event misses nothing.
    await page.post({"text": "سلام دوباره"})
    assert [e["text"] for e in await after.events(2)] == ["سلام دوباره", ANSWER]
    after.close()
    await page.close()


@pytest.mark.integration
async def test_goodbye_in_the_running_assistant_clears_the_history(chat):
    """The same through Rasa and the real goodbye action: a reload after «خداحافظ» replays nothing."""
    await chat.say("سلام")
    await chat.say("خداحافظ")
    goodbye = Replies().render("goodbye")["text"]
    assert chat.text() == goodbye
    async with chat.session.get(chat.stack.gateway + "/chat/events") as reload:
        assert (await reload.content.readline()).decode().strip() == ": connected"
        shown = []
        while (line := (await asyncio.wait_for(reload.content.readline(), 30)).decode().rstrip("\n")) != ": keep-alive":
            if line.startswith("data: "):
                shown.append(json.loads(line[6:]))
    assert [(e["sender"], e["text"], e.get("clear_history")) for e in shown] == [("bot", goodbye, True)]


async def test_a_quiet_stream_outlasts_redis_socket_timeout(start_gateway, caplog):
    """make run waits 5 s in each read, as long as redis-py's default socket timeout: the reader
    must not take a quiet spell for Redis being down (it did, every 5 s, under make run)."""
    base = await start_gateway(sse_keepalive_seconds=15)
    page = await new_page(base)
    stream = await page.stream()
    await stream.connected()
    await asyncio.sleep(6.5)  # the quiet spell itself is what is tested, longer than one read
    await page.post({"text": "سلام"})
    assert [(e["sender"], e["text"]) for e in await stream.events(2)] == [("user", "سلام"), ("bot", ANSWER)]
    assert "redis unavailable" not in caplog.text
    stream.close()
    await page.close()
