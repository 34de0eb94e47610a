"""The queue through the desk's API: only the user's agencies, masked previews, the live stream
and the supervisor's figures."""

from __future__ import annotations

import asyncio
import json

from aiohttp import ClientResponse

from desk.users import StaffUsers
from desk.web import DESK_WEB
from tests.desk.web.conftest import login

EVENT_WAIT = 10  # seconds an expected event may take before the test fails


async def next_event(response: ClientResponse) -> tuple[str, dict]:
    """The stream's next named event (comments and the retry line skipped)."""
    while True:
        block = (await asyncio.wait_for(response.content.readuntil(b"\n\n"), EVENT_WAIT)).decode()
        fields = dict(line.split(": ", 1) for line in block.strip().splitlines() if not line.startswith(":") and ": " in line)
        if "event" in fields:
            return fields["event"], json.loads(fields["data"])


def ids(listing: dict) -> list[str]:
    return [item["conversation_id"] for item in listing["waiting"]]


async def test_the_queue_lists_only_the_agencies_the_user_serves(desk, browser_of):
    await desk.queue.enqueue(desk.item("telegram:1", "sabt", preview="کد ملی من ۰۰۱۲۳۴۵۶۷۸ است"))
    desk.clock.advance(seconds=30)
    await desk.queue.enqueue(desk.item("bale:2", "tamin"))
    await desk.queue.enqueue(
        desk.item("web:3", "sabt", reason="complaint", priority=2, priority_reasons=("شکایت",), preview="<b>سلام</b>")
    )
    desk.clock.advance(seconds=45)
    agent = await browser_of()
    await login(agent, "ali")  # serves sabt only
    listing = await (await agent.get("/desk/api/queue")).json()
    assert ids(listing) == ["web:3", "telegram:1"]
    first, second = listing["waiting"]
    assert first == {
        "conversation_id": "web:3",
        "channel": "web",
        "agency": "sabt",
        "agency_name": "ثبت احوال",
        "reason": "complaint",
        "waiting_seconds": 45,
        "preview": "<b>سلام</b>",
        "priority": 2,
        "priority_reasons": ["شکایت"],
    }
    assert second["waiting_seconds"] == 75 and second["priority_reasons"] == []
    assert "۰۰۱۲۳۴۵۶" not in second["preview"] and "********۷۸" in second["preview"]
    # Looking at the queue counts as serving it, for the citizens' wait estimate.
    assert await desk.queue.agents_serving("sabt") == 1
    supervisor = await browser_of()
    await login(supervisor, "sara")  # serves every agency
    assert ids(await (await supervisor.get("/desk/api/queue")).json()) == ["web:3", "telegram:1", "bale:2"]
    assert await desk.queue.agents_serving("sabt") == 2 and await desk.queue.agents_serving("tamin") == 1


async def test_the_event_stream_pushes_each_change_the_user_can_see(desk, browser_of):
    agent = await browser_of()
    await login(agent, "ali")
    async with agent.session.get(agent.make_url("/desk/api/queue/events")) as stream:
        assert stream.status == 200 and stream.headers["Content-Type"] == "text/event-stream"
        name, listing = await next_event(stream)
        assert name == "queue" and listing["waiting"] == []
        await desk.queue.enqueue(desk.item("telegram:1", "sabt", preview="سلام"))
        name, listing = await next_event(stream)
        assert name == "queue" and ids(listing) == ["telegram:1"] and listing["waiting"][0]["preview"] == "سلام"
        # Another agency's queue is not this agent's: no event for it, so the next one is sabt's.
        await desk.queue.enqueue(desk.item("bale:2", "tamin"))
        await desk.queue.enqueue(desk.item("web:3", "sabt"))
        assert ids((await next_event(stream))[1]) == ["telegram:1", "web:3"]
        # A new message changes the preview; a take empties the place.
        await desk.queue.append_message("telegram:1", "شماره من ۰۹۱۲۳۴۵۶۷۸۹")
        assert (await next_event(stream))[1]["waiting"][0]["preview"] == "شماره من *********۸۹"
        assert await desk.queue.take("telegram:1", "7", capacity=3)
        assert ids((await next_event(stream))[1]) == ["web:3"]
        assert await desk.queue.cancel("web:3")
        assert (await next_event(stream))[1]["waiting"] == []


async def test_the_stream_tells_the_page_when_the_call_back_list_changes(desk, browser_of, redis):
    agent = await browser_of()
    token = await login(agent, "ali")
    async with agent.session.get(agent.make_url("/desk/api/queue/events")) as stream:
        first = (await next_event(stream))[1]["callbacks"]
        await desk.arrange_callback(redis, "telegram:9", "۰۹۱۲۱۲۳۴۵۶۷")
        second = (await next_event(stream))[1]["callbacks"]
        (callback_id,) = [c["id"] for c in (await (await agent.get("/desk/api/callbacks")).json())["callbacks"]]
        assert second != first
        answer = await agent.post(
            f"/desk/api/callbacks/{callback_id}", json={"status": "called"}, headers={"X-CSRF-Token": token}
        )
        assert answer.status == 200
        third = (await next_event(stream))[1]["callbacks"]
        assert third not in (first, second)
        # Another agency's call-back is not in ali's list, nor in what tells his page to read it.
        await desk.arrange_callback(redis, "bale:5", "09121234568", agency="tamin")
        await desk.arrange_callback(redis, "telegram:6", "09121234569")
        fourth = (await next_event(stream))[1]["callbacks"]
        listed = [c["id"] for c in (await (await agent.get("/desk/api/callbacks")).json())["callbacks"]]
        assert len(listed) == 2 and fourth.split(":")[:2] == ["2", str(max(listed))]  # sabt's two


async def test_one_user_may_keep_only_so_many_live_pages(desk, browser_of):
    desk.app[DESK_WEB].settings.desk_streams_per_user = 2
    agent = await browser_of()
    await login(agent, "ali")
    url = agent.make_url("/desk/api/queue/events")
    async with agent.session.get(url) as first, agent.session.get(url) as second:
        assert (await next_event(first))[0] == "queue" and (await next_event(second))[0] == "queue"
        third = await agent.get("/desk/api/queue/events")
        assert third.status == 429
        body = await third.json()
        assert body["error"] == "too_many_pages" and "ببندید" in body["text"]
        # Another user's pages are theirs to count.
        other = await browser_of()
        await login(other, "sara")
        async with other.session.get(other.make_url("/desk/api/queue/events")) as theirs:
            assert theirs.status == 200
    # Closed pages free their places.
    async with agent.session.get(url) as again:
        assert again.status == 200 and (await next_event(again))[0] == "queue"


async def test_the_stream_ends_with_the_session(desk, browser_of):
    agent = await browser_of()
    token = await login(agent, "ali")
    async with agent.session.get(agent.make_url("/desk/api/queue/events")) as stream:
        assert (await next_event(stream))[0] == "queue"
        assert (await agent.post("/desk/api/logout", headers={"X-CSRF-Token": token})).status == 200
        await desk.queue.enqueue(desk.item("telegram:1", "sabt"))
        assert await next_event(stream) == ("ended", {})


async def test_the_stream_ends_when_the_password_changes(desk, browser_of):
    agent = await browser_of()
    await login(agent, "ali")
    async with agent.session.get(agent.make_url("/desk/api/queue/events")) as stream:
        assert (await next_event(stream))[0] == "queue"
        async with desk.sessions() as session, session.begin():
            await StaffUsers(session).reset_password("ali", "a-new-long-passphrase-42")
        await desk.queue.enqueue(desk.item("telegram:1", "sabt"))
        assert await next_event(stream) == ("ended", {})


async def test_the_supervisor_view(desk, browser_of):
    await desk.queue.enqueue(desk.item("telegram:1", "sabt"))
    await desk.queue.enqueue(desk.item("bale:2", "tamin"))
    desk.clock.advance(minutes=3)
    assert await desk.queue.take("bale:2", "7", capacity=3)
    supervisor = await browser_of()
    await login(supervisor, "sara")
    figures = await (await supervisor.get("/desk/api/supervisor")).json()
    assert figures == {
        "waiting": 1,
        "longest_wait_seconds": 180,
        "active": 1,
        "handled_today": 0,
        "average_wait_seconds": None,
        "average_handling_seconds": None,
        "overdue": [],
    }
