"""The router with a real Redis; Rasa unreachable (a closed port) where the test needs it."""

import asyncio
import json

import pytest

from connectors.dedup import Claim, Deduplicator
from connectors.models import InboundMessage, OutboundMessage
from connectors.rasa_client import RasaClient
from connectors.router import Router
from content.replies import Replies
from tests.conftest import free_port


@pytest.fixture
async def router(redis):
    rasa = RasaClient(f"http://127.0.0.1:{free_port()}", "token", timeout_seconds=2)
    yield Router(redis, rasa, Replies())
    await rasa.close()


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


async def test_a_retry_sends_only_the_replies_that_did_not_arrive(router, redis):
    texts = ["یک", "دو", "سه"]
    await Deduplicator(redis).done("web:c1", "e", json.dumps([OutboundMessage(text=t).model_dump() for t in texts]))
    sent, failing = [], {"دو"}

    async def send(batch: list[OutboundMessage]) -> bool:
        assert len(batch) == 1  # one at a time, so each arrival is counted
        if batch[0].text in failing:
            failing.discard(batch[0].text)
            return False
        sent.append(batch[0].text)
        return True

    assert not await router.answer(message(message_id="e"), send, 4096)
    assert sent == ["یک"]
    assert await router.answer(message(message_id="e"), send, 4096)
    assert sent == texts
    assert await router.answer(message(message_id="e"), send, 4096)  # all arrived: nothing again
    assert sent == texts


async def test_a_retry_that_comes_while_the_first_attempt_sends_sends_nothing(router, redis):
    texts = ["یک", "دو"]
    await Deduplicator(redis).done("web:c1", "f", json.dumps([OutboundMessage(text=t).model_dump() for t in texts]))
    sent, sending, go_on = [], asyncio.Event(), asyncio.Event()

    async def slow_send(batch: list[OutboundMessage]) -> bool:
        sending.set()
        await go_on.wait()
        sent.append(batch[0].text)
        return True

    async def send(batch: list[OutboundMessage]) -> bool:
        sent.append(batch[0].text)
        return True

    first = asyncio.create_task(router.answer(message(message_id="f"), slow_send, 4096))
    await sending.wait()
    assert not await router.answer(message(message_id="f"), send, 4096)  # the messenger tries again later
    go_on.set()
    assert await first
    assert await router.answer(message(message_id="f"), send, 4096)  # all arrived: nothing again
    assert sent == texts
