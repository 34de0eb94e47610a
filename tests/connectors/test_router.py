"""The router with a real Redis; Rasa unreachable (a closed port) where the test needs it."""

import asyncio
import contextlib
import json
from typing import AsyncIterator, Optional

import pytest

from connectors.dedup import Claim, Deduplicator
from connectors.models import InboundMessage, OutboundMessage
from connectors.rasa_client import RasaClient
from connectors.router import Router
from connectors.sendqueue import ChatQueues, Keys
from content.replies import Replies
from tests.conftest import free_port


@pytest.fixture
async def router(redis):
    rasa = RasaClient(f"http://127.0.0.1:{free_port()}", "token", timeout_seconds=2)
    yield Router(redis, rasa, Replies())
    await rasa.close()


@contextlib.asynccontextmanager
async def rasa_saying(said: list[dict], heard: Optional[list] = None) -> AsyncIterator[RasaClient]:
    """A client of a stand-in for Rasa's channel answering every turn with ``said`` (noted in
    ``heard``, when given, as it is asked)."""
    from aiohttp import web
    from aiohttp.test_utils import TestServer

    async def webhook(request: web.Request) -> web.Response:
        if heard is not None:
            heard.append("rasa")
        return web.json_response({"messages": said})

    app = web.Application()
    app.router.add_post("/webhooks/hamyar/webhook", webhook)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    rasa = RasaClient(str(server.make_url("")).rstrip("/"), "token", timeout_seconds=10)
    try:
        yield rasa
    finally:
        await rasa.close()
        await server.close()


def message(**fields) -> InboundMessage:
    return InboundMessage(**{"channel": "web", "chat_id": "c1", "user_id": "u1", "message_id": "m1", **fields})


async def test_rasa_down_gets_a_kind_answer_and_the_message_can_be_retried(router, redis):
    replies = await router.handle(message(text="سلام"))
    assert len(replies) == 1 and "مشکلی در سامانه همیار" in replies[0].text
    assert [b.title for b in replies[0].buttons] == ["منوی اصلی", "صحبت با اپراتور"]
    # Not marked done: the same message id is accepted again.
    assert await Deduplicator(redis).claim("web:c1", "m1") is Claim.NEW


async def test_buttons_resolve_only_in_their_conversation(router, redis):
    replies = await router.handle(message(text="سلام"))
    button = replies[0].buttons[0]
    assert (await router.buttons.resolve("web:c1", button.id))["payload"] == "/help"
    assert await router.buttons.resolve("web:other", button.id) is None


async def test_unknown_button_empty_and_long_text(router):
    assert "این دکمه دیگر فعال نیست" in (await router.handle(message(message_id="a", button_id="nope")))[0].text
    assert "پیامی دریافت نشد" in (await router.handle(message(message_id="b", text="  ")))[0].text
    assert "خیلی طولانی" in (await router.handle(message(message_id="c", text="x" * 5000)))[0].text


async def test_a_handled_message_is_not_handled_twice(router, redis):
    first = await router.handle(message(message_id="d", text="  "))
    assert first is not None
    assert await router.handle(message(message_id="d", text="  ")) is None


async def test_replies_are_queued_as_the_message_is_marked_handled(router, redis):
    queues = ChatQueues(redis)
    replies = await router.handle(message(message_id="e", text=" "), keep=queues.add)
    assert replies is not None
    queued = [json.loads(item)["message"]["text"] for item in await redis.lrange(Keys.of("web:c1").queue, 0, -1)]
    assert queued == [r.text for r in replies]
    assert await Deduplicator(redis).claim("web:c1", "e") is Claim.DONE
    assert await router.handle(message(message_id="e", text=" "), keep=queues.add) is None  # a retry queues nothing
    assert await redis.llen(Keys.of("web:c1").queue) == len(replies)


async def test_a_failed_turn_queues_its_kind_answer_and_can_be_retried(router, redis):
    queues = ChatQueues(redis)
    await router.handle(message(message_id="g", text="سلام"), keep=queues.add)
    [item] = await redis.lrange(Keys.of("web:c1").queue, 0, -1)
    assert "مشکلی در سامانه همیار" in json.loads(item)["message"]["text"]
    assert await Deduplicator(redis).claim("web:c1", "g") is Claim.NEW


async def test_turns_keep_their_order_across_gateway_processes(router, redis, monkeypatch):
    """Two routers (two gateway processes) on one Redis: the first message's turn is slow, the
    second's quick, and the second waits its turn, so the replies queue first, second."""
    other = Router(redis, RasaClient(f"http://127.0.0.1:{free_port()}", "token", timeout_seconds=2), Replies())
    queues = ChatQueues(redis)
    started, release_first = asyncio.Event(), asyncio.Event()

    async def turn(self, inbound: InboundMessage, text_limit: int, writes: object) -> list[OutboundMessage]:
        if inbound.message_id == "slow":
            started.set()
            await release_first.wait()
        return [OutboundMessage(text=inbound.message_id)]

    monkeypatch.setattr(Router, "_turn", turn)
    first = asyncio.create_task(router.handle(message(message_id="slow"), keep=queues.add))
    await started.wait()
    second = asyncio.create_task(other.handle(message(message_id="quick"), keep=queues.add))
    while await redis.llen("hamyar:lane:web:c1") < 2:  # the second turn waits in the lane
        await asyncio.sleep(0.01)
    release_first.set()
    await asyncio.gather(first, second)
    queued = [json.loads(item)["message"]["text"] for item in await redis.lrange(Keys.of("web:c1").queue, 0, -1)]
    assert queued == ["slow", "quick"]


async def test_turns_beyond_the_limit_wait_at_the_gateway_not_at_rasa(redis):
    """A stand-in for Rasa's channel that holds every turn until told: with a limit of two, the
    third conversation's turn reaches it only once one of the first two has been answered."""
    from aiohttp import web
    from aiohttp.test_utils import TestServer

    at_rasa: list[str] = []
    arrived, release = asyncio.Event(), asyncio.Event()

    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        at_rasa.append(body["sender"])
        arrived.set()
        await release.wait()
        return web.json_response({"messages": [{"text": body["sender"]}]})

    app = web.Application()
    app.router.add_post("/webhooks/hamyar/webhook", webhook)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    rasa = RasaClient(str(server.make_url("")).rstrip("/"), "token", timeout_seconds=10)
    gated = Router(redis, rasa, Replies(), turns_in_flight=2)
    try:
        turns = [asyncio.create_task(gated.handle(message(chat_id=f"c{n}", text="سلام"))) for n in range(3)]
        while len(at_rasa) < 2:
            arrived.clear()
            await arrived.wait()
        assert len(at_rasa) == 2 and not any(turn.done() for turn in turns)
        while await redis.llen("hamyar:lane:web:c2") < 1:  # the third has its lane, and waits for Rasa
            await asyncio.sleep(0.01)
        assert len(at_rasa) == 2
        release.set()
        answers = await asyncio.gather(*turns)
        assert sorted(at_rasa) == ["web:c0", "web:c1", "web:c2"]
        assert [a[0].text for a in answers] == ["web:c0", "web:c1", "web:c2"]
    finally:
        await rasa.close()
        await server.close()


async def test_a_turn_of_many_messages_reaches_the_citizen_as_two(redis):
    """Rasa's case answer as it was (four messages, the share-contact hint as a fifth): the
    citizen gets the answer, then the question with every button and the hint."""
    said = [
        {"text": "پرونده «مستمری»"},
        {"text": "قدم بعدی: صبر کنید"},
        {"text": "بیشتر", "buttons": [{"title": "بیشتر بدانید", "payload": "/how_to"}]},
        {"text": "کار دیگری هست؟", "buttons": [{"title": "منوی اصلی", "payload": "/help"}]},
        {"custom": {"request_contact": True}},
    ]
    async with rasa_saying(said) as rasa:
        replies = await Router(redis, rasa, Replies()).handle(message(text="پرونده"))
    assert [r.text for r in replies] == ["پرونده «مستمری»\n\nقدم بعدی: صبر کنید\n\nبیشتر", "کار دیگری هست؟"]
    assert [b.title for b in replies[1].buttons] == ["منوی اصلی", "بیشتر بدانید"] and replies[1].request_contact
    assert replies[0].buttons == [] and not replies[0].request_contact


async def test_a_turn_is_two_round_trips_around_rasa(redis, redis_sent):
    """Before Rasa, one script takes the lane and claims the message; once Rasa has answered,
    the reply's buttons, the message marked handled, its replies queued and the lane left are
    one transaction (before: a claim, a transaction each and a leave)."""
    said = [{"text": "سلام", "buttons": [{"title": "منوی اصلی", "payload": "/help"}]}]
    async with rasa_saying(said, heard=redis_sent) as rasa:
        router = Router(redis, rasa, Replies())
        await router.handle(message(message_id="v", text="سلام"))  # Redis learns the lane's scripts
        redis_sent.clear()
        [reply] = await router.handle(message(message_id="w", text="سلام"), keep=ChatQueues(redis).add)
    assert redis_sent[:2] == ["EVALSHA", "rasa"] and len(redis_sent) == 3, redis_sent
    after = redis_sent[2]
    assert after[:3] == ["HSET", "EXPIRE", "SET"] and "RPUSH" in after and after[-1] == "EVAL", after
    assert await redis.llen("hamyar:lane:web:c1") == 0 and not await redis.keys("hamyar:lane:web:c1:*")
    assert (await router.buttons.resolve("web:c1", reply.buttons[0].id))["payload"] == "/help"
    assert await Deduplicator(redis).claim("web:c1", "w") is Claim.DONE
