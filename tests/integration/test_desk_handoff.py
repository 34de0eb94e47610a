"""Bot → human through the real stack: a gateway of its own (its office hours, its database, a
messenger against the fake Bot API, an SMS bridge without a callback URL) before the session's
Rasa and action servers."""

from __future__ import annotations

import dataclasses
import json
import uuid

import aiohttp
import pytest
import redis.asyncio as aioredis
import yaml
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from agencies.sealing import Sealer
from connectors.gateway import create_app
from connectors.keys import HANDOFFS
from connectors.settings import GatewaySettings
from connectors.signing import signed_headers
from desk.db import make_engine, session_factory
from desk.models import Callback, Handoff, Role, StaffUser
from tests.fakes.bot_api import FakeBotApi
from tests.integration.conftest import Chat, close_within
from tests.integration.desk_hours import desk_config
from tests.integration.test_messenger import button_update, chat, inline, message_update, settled

pytestmark = pytest.mark.integration
SMS_SECRET = "sms-secret-" + "x" * 16
OPERATOR = "میخوام با اپراتور حرف بزنم"


@dataclasses.dataclass
class Desk:
    url: str
    app: object
    fake: FakeBotApi
    chat: Chat
    database_url: str
    sealer: Sealer

    async def callbacks(self) -> list[Callback]:
        engine = make_engine(self.database_url)
        try:
            async with session_factory(engine)() as session:
                return list((await session.execute(select(Callback).order_by(Callback.id))).scalars())
        finally:
            await engine.dispose()

    async def agent(self, username: str, first_name: str) -> StaffUser:
        engine = make_engine(self.database_url)
        try:
            async with session_factory(engine)() as session:
                user = StaffUser(username=username, first_name=first_name, role=Role.agent, password_hash="-")
                session.add(user)
                await session.commit()
                return user
        finally:
            await engine.dispose()

    async def sms(self, chat_id: str, text: str) -> dict:
        body = json.dumps({"message_id": uuid.uuid4().hex, "user_id": chat_id, "chat_id": chat_id, "text": text}).encode()
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{self.url}/webhooks/generic/sms", data=body, headers=signed_headers(SMS_SECRET, body)) as r:
                assert r.status == 200, await r.text()
                return await r.json()


@pytest.fixture
async def desk(stack, tmp_path, monkeypatch, request):
    """A gateway with the desk on, open now (the default) or closed (``request.param`` "closed")."""
    fake = FakeBotApi(profile="telegram")
    api = TestServer(fake.app(), host="127.0.0.1")
    await api.start_server()
    base = str(api.make_url("")).rstrip("/")
    telegram = {"name": "telegram", "token": "123:ABC", "base_url": f"{base}/bot", "base_file_url": f"{base}/file/bot"}
    telegram |= {"mode": "polling", "webhook_secret": "", "secret_header": False}
    sms = {"source": "sms", "secret": SMS_SECRET, "buttons": False, "callback_url": ""}  # no way to write later
    channels = tmp_path / "channels.yml"
    channels.write_text(yaml.safe_dump({"messengers": [telegram], "generic": [sms]}), encoding="utf-8")
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}"
    monkeypatch.setenv("HAMYAR_CHANNELS", str(channels))
    monkeypatch.setenv("HAMYAR_DESK", str(desk_config(tmp_path / "desk.yml", getattr(request, "param", "open") == "open")))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("HAMYAR_DATA_KEY", stack.tokens["HAMYAR_DATA_KEY"])
    # Its own Redis database, emptied: the queues start empty.
    redis_url = fake.redis_url = stack.redis_url.rsplit("/", 1)[0] + "/3"
    async with aioredis.from_url(redis_url) as redis:
        await redis.flushdb()
    settings = GatewaySettings(
        rasa_channel_token=stack.tokens["RASA_CHANNEL_TOKEN"],
        rasa_url=stack.rasa,
        redis_url=redis_url,
        publish_content_on_start=False,
        web_session_secret=stack.tokens["WEB_SESSION_SECRET"],
        sse_keepalive_seconds=1,
    )
    app = create_app(settings)
    gateway = TestServer(app, host="127.0.0.1")
    await gateway.start_server()
    url = str(gateway.make_url("")).rstrip("/")
    web = await Chat(dataclasses.replace(stack, gateway=url)).open()
    yield Desk(url, app, fake, web, database_url, Sealer(stack.tokens["HAMYAR_DATA_KEY"]))
    await web.close()
    await close_within(gateway)
    await close_within(api)


def user_turns(stack, conversation_id: str) -> int:
    return sum(1 for event in stack.tracker(conversation_id)["events"] if event["event"] == "user")


async def test_operator_in_office_hours_queues_and_waiting_messages_do_not_reach_rasa(stack, desk):
    web = desk.chat
    await web.say(OPERATOR)
    assert "صف کارشناسان" in web.text() and "نفر اول" in web.text() and "لغو" in web.buttons()
    assert "۱۱۱۱" not in web.text()  # a person is coming: no number to call
    [waiting] = await desk.app[HANDOFFS].queue.waiting()
    assert (waiting.item.conversation_id, waiting.item.channel, waiting.item.reason) == (
        web.conversation_id,
        "web",
        "request_human",
    )
    turns = user_turns(stack, web.conversation_id)
    await web.say("کی نوبت من میشه؟")
    assert "نفر اول" in web.text()
    assert user_turns(stack, web.conversation_id) == turns  # Rasa never saw it
    await web.say("ل غ و")
    assert "همیار دوباره در خدمت شماست" in web.text()
    assert await desk.app[HANDOFFS].queue.waiting() == []
    await web.say("سامانه پاسپورت کار میکنه؟")
    assert "سامانه گذرنامه" in web.text()
    assert user_turns(stack, web.conversation_id) == turns + 1


async def test_two_misunderstandings_in_a_row_hand_over(stack, desk):
    web = desk.chat
    await web.say("ققق ففف ثثث")
    assert "صف کارشناسان" not in web.text()
    await web.say("ژژژ ذذذ ظظظ")
    assert "باز هم متوجه نشدم" in web.text() and "نفر اول" in web.text()
    [waiting] = await desk.app[HANDOFFS].queue.waiting()
    assert waiting.item.reason == "misunderstood"


@pytest.mark.parametrize("desk", ["closed"], indirect=True)
async def test_outside_office_hours_the_web_chat_arranges_a_call_back_with_a_typed_phone(stack, desk):
    web = desk.chat
    await web.say(OPERATOR)
    assert "۱۱۱۱" in web.text() and "سر کار نیستند" in web.text()
    await web.click("بله، با من تماس بگیرید")
    await web.say("شماره‌ام ۰۹۱۲ ۱۲۳ ۴۵۶۷ است")
    await web.click("عصر")
    assert "درخواست تماس شما ثبت شد" in web.text() and "۶۷" in web.text()
    [callback] = await desk.callbacks()
    assert callback.phone(desk.sealer) == "09121234567" and "09121234567" not in callback.sealed_phone
    assert (callback.channel, callback.reason, callback.preferred_time) == ("web", "request_human:closed", "عصر")
    assert await desk.app[HANDOFFS].queue.waiting() == []


@pytest.mark.parametrize("desk", ["closed"], indirect=True)
async def test_outside_office_hours_a_messenger_shares_its_contact(stack, desk):
    fake, chat_id = desk.fake, chat()
    fake.push_update(message_update(chat_id, OPERATOR))
    await settled(fake, chat_id, 2)  # the notice, the call centre and its hours; then the offer
    offer = [m for m in fake.sent if m["chat_id"] == chat_id][-1]
    fake.push_update(button_update(chat_id, inline(offer)["بله، با من تماس بگیرید"]))
    texts = await settled(fake, chat_id, 3)
    ask = [m for m in fake.sent if m["chat_id"] == chat_id][-1]
    assert "شماره موبایل" in texts[-1] and ask["reply_markup"]["keyboard"][0][0]["request_contact"] is True
    fake.push_update(message_update(chat_id, contact={"phone_number": "+989121112233", "user_id": chat_id, "first_name": "M"}))
    await settled(fake, chat_id, 4)
    times = [m for m in fake.sent if m["chat_id"] == chat_id][-1]
    fake.push_update(button_update(chat_id, inline(times)["صبح"]))
    texts = await settled(fake, chat_id, 5)
    assert "درخواست تماس شما ثبت شد" in texts[-1]
    [callback] = await desk.callbacks()
    assert (callback.phone(desk.sealer), callback.channel, callback.preferred_time) == ("09121112233", "telegram", "صبح")


async def test_a_bridge_without_a_callback_url_gets_a_call_back_even_in_office_hours(stack, desk):
    chat_id = "sms-" + uuid.uuid4().hex[:8]
    answer = await desk.sms(chat_id, OPERATOR)
    text = "\n".join(r["text"] for r in answer["replies"])
    assert "۱۱۱۱" in text and "۱. بله، با من تماس بگیرید" in text
    await desk.sms(chat_id, "1")
    await desk.sms(chat_id, "09351234567")
    answer = await desk.sms(chat_id, "3")
    assert "درخواست تماس شما ثبت شد" in answer["replies"][0]["text"]
    [callback] = await desk.callbacks()
    assert (callback.channel, callback.reason, callback.preferred_time) == ("sms", "request_human:unreachable", "هر وقت")
    assert await desk.app[HANDOFFS].queue.waiting() == []


async def test_an_agent_answers_in_a_bubble_of_their_own_and_hands_back_to_the_bot(stack, desk):
    web, handoffs = desk.chat, desk.app[HANDOFFS]
    await web.say(OPERATOR)
    sara = await desk.agent("sara", "سارا")
    await handoffs.take(web.conversation_id, sara)
    [taken] = await web._events(1)
    assert "برداشته است" in taken["text"] and taken["agent_name"] is None
    assert await handoffs.agent_message(web.conversation_id, sara, "سلام، پرونده شما را دیدم.")
    [words] = await web._events(1)
    assert words["text"] == "سلام، پرونده شما را دیدم." and words["agent_name"] == "سارا (کارشناس)"
    turns = user_turns(stack, web.conversation_id)
    assert await web.say("ممنون، منتظرم") == []  # to the agent only
    assert user_turns(stack, web.conversation_id) == turns
    assert await handoffs.release(web.conversation_id, sara, "راهنمایی شد")
    [back] = await web._events(1)
    assert "همیار دوباره در خدمت شماست" in back["text"]
    await web.say("سامانه پاسپورت کار میکنه؟")
    assert "سامانه گذرنامه" in web.text()
    engine = make_engine(desk.database_url)
    async with session_factory(engine)() as session:
        [record] = (await session.execute(select(Handoff))).scalars()
    await engine.dispose()
    assert record.release_note == "راهنمایی شد" and record.agent_id == sara.id


async def test_a_person_asked_inside_the_lookup_and_the_way_back_after_the_handback(stack, desk):
    web, handoffs = desk.chat, desk.app[HANDOFFS]
    await web.say("پرونده ۷۱۴۰۵۰۸۲۱۳۴۵۷")
    assert "کد ملی صاحب پرونده" in web.text()
    await web.say(OPERATOR)
    sara = await desk.agent("sara", "سارا")
    await handoffs.take(web.conversation_id, sara)
    await web._events(1)
    assert await handoffs.release(web.conversation_id, sara, "کد ملی را نداشت")
    [back] = await web._events(1)
    assert "همیار دوباره در خدمت شماست" in back["text"]
    assert "ادامه پیگیری پرونده" in [b["title"] for b in back.get("buttons", [])], back
    web.last = [back]
    await web.click("ادامه پیگیری پرونده")
    assert "کد ملی صاحب پرونده" in web.text() and web.slots()["tracking_code"] == "7140508213457"
