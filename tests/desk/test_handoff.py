"""Bot → human on a real Redis and both database engines: the handoff service, the router's divert
and the call-back, with a recording outlet standing in for the gateway's delivery."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Optional

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from connectors.models import InboundMessage, OutboundMessage
from content.replies import Replies
from desk.callback import BACK, YES, CallbackFlow
from desk.db import session_factory
from desk.desk_config import DeskConfig
from desk.divert import CANCEL, HandoffDivert
from desk.handoff import HANDBACK, HandoffService, Turn
from desk.models import AuditEntry, Author, Callback, Handoff, Outcome, Role, StaffUser
from desk.queue import HandoffQueue, Take
from desk.recent import RecentTurns

# A Saturday, 09:30 in Tehran: the desk is open; the day before (Friday) it is closed.
OPEN = datetime(2026, 4, 25, 6, 0, tzinfo=timezone.utc)
CLOSED = OPEN - timedelta(days=1)
CONFIG = DeskConfig.model_validate(
    {
        "office_hours": {"saturday": {"open": "08:00", "close": "16:00"}},
        "queue": {"max_waiting": 3},
        "agencies": {"tamin": {"max_waiting": 1}},
        "priorities": [
            {"name": "complaint", "when": {"reason_is": "complaint"}, "priority": 2, "label": "شکایت"},
            {"name": "third", "when": {"contacts_about_case_at_least": 3}, "priority": 3, "label": "سومین تماس"},
            {"name": "waiting", "when": {"case_waiting_on_citizen": True}, "priority": 1, "label": "منتظر شهروند"},
        ],
    }
)
HUMAN_HINT = {"handoff": {"reason": "request_human", "agency": "sabt"}}


class Clock:
    def __init__(self) -> None:
        self.now = OPEN

    def __call__(self) -> datetime:
        return self.now


class Outlet:
    """The gateway's side, recorded: what was sent where, and which turns the bot was given."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, OutboundMessage]] = []
        self.resumed: list[tuple[str, str]] = []
        self.unreachable: set[str] = set()

    def reachable(self, conversation_id: str) -> bool:
        return conversation_id.partition(":")[0] not in self.unreachable

    async def send(self, conversation_id: str, messages: list[OutboundMessage]) -> bool:
        self.sent += [(conversation_id, message) for message in messages]
        return True

    async def resume(self, conversation_id: str, payload: str) -> None:
        self.resumed.append((conversation_id, payload))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def outlet() -> Outlet:
    return Outlet()


@pytest.fixture
def service(redis, engine, sealer, clock, outlet) -> HandoffService:
    queue = HandoffQueue(redis, CONFIG, clock=clock, sealer=sealer)
    return HandoffService(queue, session_factory(engine), CONFIG, sealer, outlet, clock)


@pytest.fixture
def divert(redis, engine, sealer, clock, service) -> HandoffDivert:
    callbacks = CallbackFlow(redis, session_factory(engine), CONFIG, sealer, Replies(), clock)
    return HandoffDivert(service, callbacks, redis, Replies(), RecentTurns(redis, sealer))


async def agent(session, name: str, first_name: str = "سارا") -> StaffUser:
    user = StaffUser(username=name, first_name=first_name, role=Role.agent, password_hash="-", capacity=2)
    session.add(user)
    await session.commit()
    return user


async def handoffs(engine) -> list[Handoff]:
    async with session_factory(engine)() as session:
        found = await session.execute(select(Handoff).options(selectinload(Handoff.transcript)).order_by(Handoff.id))
        return list(found.scalars())


def message(text: Optional[str] = None, channel: str = "web", **fields) -> InboundMessage:
    return InboundMessage(**{"chat_id": "c1", **fields}, channel=channel, user_id="u1", message_id="m", text=text)


async def test_a_conversation_joins_once_with_its_turns_sealed_and_its_priority(service, engine, sealer):
    turns = [Turn(Author.citizen, "کد ملی من 0012345679 است"), Turn(Author.bot, "شکایت ثبت شد.")]
    position = await service.start("web:c1", "web", "sabt", "complaint", turns)
    assert position.place == 1
    assert await service.start("web:c1", "web", "sabt", "complaint", turns) == position
    [record] = await handoffs(engine)
    assert (record.channel, record.agency, record.reason, record.priority) == ("web", "sabt", "complaint", 2)
    assert record.priority_reasons == ["شکایت"] and record.released_at is None
    assert [(e.author, e.text(sealer)) for e in record.transcript] == [(t.author, t.text) for t in turns]
    assert "0012345679" not in record.transcript[0].sealed_text
    [waiting] = await service.queue.waiting()
    assert waiting.item.priority == 2 and "0012345679" not in waiting.item.preview


async def test_messages_while_waiting_go_to_the_transcript_and_the_desk_masked(service, engine, sealer):
    assert not await service.citizen_message("web:c1", "سلام")  # not at the desk
    await service.start("web:c1", "web", "sabt", "request_human", [Turn(Author.citizen, "اپراتور")])
    assert await service.citizen_message("web:c1", "شماره من 09121234567")
    [kept] = await service.queue.messages("web:c1")
    assert "09121234567" not in kept.text
    [record] = await handoffs(engine)
    assert record.transcript[-1].text(sealer) == "شماره من 09121234567"


async def test_cancel_closes_the_stay(service, engine):
    await service.start("web:c1", "web", "sabt", "request_human")
    assert await service.cancel("web:c1")
    assert not await service.cancel("web:c1")
    assert await service.position("web:c1") is None
    [record] = await handoffs(engine)
    assert record.outcome is Outcome.cancelled and record.released_at is not None


async def test_of_two_agents_taking_at_once_exactly_one_wins(service, session, engine, outlet):
    sara, reza = await agent(session, "sara"), await agent(session, "reza", "رضا")
    await service.start("web:c1", "web", "sabt", "request_human")
    results = await asyncio.gather(service.take("web:c1", sara), service.take("web:c1", reza))
    assert sorted(r.value for r in results) == [Take.ALREADY_TAKEN.value, Take.TAKEN.value]
    winner = sara if results[0] is Take.TAKEN else reza
    [record] = await handoffs(engine)
    assert record.agent_id == winner.id and record.taken_at is not None
    async with session_factory(engine)() as fresh:
        [entry] = (await fresh.execute(select(AuditEntry).where(AuditEntry.action == "take"))).scalars()
    assert entry.actor_id == winner.id and entry.target == "web:c1"
    # The citizen hears that a person has the conversation.
    assert [c for c, _ in outlet.sent] == ["web:c1"] and "کارشناس" in outlet.sent[0][1].text


async def test_an_agent_replies_signed_and_hands_back_with_a_note(service, session, engine, sealer, outlet):
    sara, reza = await agent(session, "sara"), await agent(session, "reza", "")
    await service.start("web:c1", "web", "sabt", "request_human")
    assert not await service.agent_message("web:c1", sara, "سلام")  # not taken yet
    assert await service.take("web:c1", sara) is Take.TAKEN
    assert not await service.agent_message("web:c1", reza, "سلام")  # not theirs
    assert await service.agent_message("web:c1", sara, "سلام، پرونده را دیدم.")
    _, sent = outlet.sent[-1]
    assert sent.text == "سلام، پرونده را دیدم." and sent.agent_name == "سارا (کارشناس)"
    assert not await service.release("web:c1", reza, "نه")
    assert await service.release("web:c1", sara, "مشکل حل شد")
    assert outlet.resumed == [("web:c1", HANDBACK)]
    assert await service.position("web:c1") is None
    [record] = await handoffs(engine)
    assert record.outcome is Outcome.returned_to_bot and record.release_note == "مشکل حل شد"
    assert [(e.author, e.agent_id, e.text(sealer)) for e in record.transcript] == [
        (Author.agent, sara.id, "سلام، پرونده را دیدم.")
    ]


async def test_the_handoff_signal_queues_the_citizen_inside_office_hours(divert, service):
    before = ("ببخشید، باز هم متوجه نشدم.", [], {})
    parts = [before, ("با شماره ۱۱۱۱ تماس بگیرید.", [], HUMAN_HINT)]
    out = await divert.after_rasa(message("اپراتور"), "اپراتور", parts)
    assert out[0] == before and "نفر اول" in out[1][0] and out[1][1] == [{"title": "لغو", "payload": CANCEL}]
    assert len(out) == 2  # the number is not needed: a person is coming
    [waiting] = await service.queue.waiting()
    assert (waiting.item.agency, waiting.item.reason, waiting.item.preview) == ("sabt", "request_human", "اپراتور")
    # Replies without the signal pass as they are.
    assert await divert.after_rasa(message("سلام"), "سلام", [before]) == [before]


@pytest.mark.parametrize("typed", ["لغو", "ل غ و", "لغو.", "\u0644\u063a\u0648\u200c"])
async def test_cancel_typed_any_way_goes_back_to_the_bot(divert, service, typed):
    await service.start("web:c1", "web", "sabt", "request_human")
    [(text, buttons, _)] = await divert.before_rasa(message(typed), typed, None)
    assert "همیار دوباره در خدمت شماست" in text and {"title": "منوی اصلی", "payload": "/help"} in buttons
    assert await service.position("web:c1") is None
    assert await divert.before_rasa(message("سلام"), "سلام", None) is None  # to Rasa again


async def test_while_waiting_nothing_reaches_rasa_and_the_place_is_told_once_a_minute(divert, service, redis):
    await service.start("web:c1", "web", "sabt", "request_human")
    [(first, buttons, _)] = await divert.before_rasa(message("کی نوبتم میشه؟"), "کی نوبتم میشه؟", None)
    assert "نفر اول" in first and buttons == [{"title": "لغو", "payload": CANCEL}]
    assert await divert.before_rasa(message("سلام؟"), "سلام؟", None) == []
    assert 0 < await redis.ttl("hamyar:desk:told:web:c1") <= 60
    assert [m.text for m in await service.queue.messages("web:c1")] == ["کی نوبتم میشه؟", "سلام؟"]
    # The cancel button works as the word does.
    [(text, _, _)] = await divert.before_rasa(message(button_id="b"), "لغو", CANCEL)
    assert "همیار دوباره" in text


async def test_with_an_agent_messages_reach_the_agent_and_the_bot_says_nothing(divert, service, session):
    await service.start("web:c1", "web", "sabt", "request_human")
    await service.take("web:c1", await agent(session, "sara"))
    assert await divert.before_rasa(message("لغو"), "لغو", None) == []
    assert [m.text for m in await service.queue.messages("web:c1")] == ["لغو"]


async def test_outside_office_hours_a_call_back_is_arranged(divert, service, engine, sealer, clock):
    clock.now = CLOSED
    parts = [("با شماره ۱۱۱۱ تماس بگیرید.", [], HUMAN_HINT)]
    out = await divert.after_rasa(message("اپراتور"), "اپراتور", parts)
    assert out[0] == ("با شماره ۱۱۱۱ تماس بگیرید.", [], {})  # the number stays, without the signal
    assert "سر کار نیستند" in out[1][0] and "فردا ساعت ۸ صبح" in out[1][0]
    assert [b["payload"] for b in out[2][1]] == [YES, BACK]
    assert await service.queue.waiting() == []
    # Anything else: asked again, kindly.
    answer = await divert.before_rasa(message("چی؟"), "چی؟", None)
    assert "دکمه" in answer[0][0] and answer[1][1][0]["payload"] == YES
    [(ask, _, hints)] = await divert.before_rasa(message(button_id="y"), "بله، با من تماس بگیرید", YES)
    assert "شماره موبایل" in ask and hints == {"request_contact": True}
    answer = await divert.before_rasa(message("۱۲۳"), "۱۲۳", None)
    assert "درست نیست" in answer[0][0] and "شماره موبایل" in answer[1][0]
    [(when, buttons, _)] = await divert.before_rasa(message("۰۹۱۲ ۱۲۳ ۴۵۶۷"), "۰۹۱۲ ۱۲۳ ۴۵۶۷", None)
    assert [b["title"] for b in buttons] == ["صبح", "عصر", "هر وقت", "برگشت به همیار"]
    [(done, _, _)] = await divert.before_rasa(message("هر وقت"), "هر وقت", None)
    assert "ثبت شد" in done and "۶۷" in done and "۰۹۱۲" not in done
    async with session_factory(engine)() as session:
        [callback] = (await session.execute(select(Callback))).scalars()
    assert callback.phone(sealer) == "09121234567" and "0912" not in callback.sealed_phone
    assert (callback.reason, callback.agency, callback.preferred_time) == ("request_human:closed", "sabt", "هر وقت")
    assert await divert.before_rasa(message("سلام"), "سلام", None) is None  # back with the bot


async def test_a_shared_contact_needs_no_typing_and_back_leaves_at_any_step(divert, engine, sealer, clock):
    clock.now = CLOSED
    await divert.after_rasa(message("اپراتور", channel="telegram"), "اپراتور", [("۱۱۱۱", [], HUMAN_HINT)])
    tg = dict(channel="telegram")
    await divert.before_rasa(message("بله", **tg), "بله", None)
    await divert.before_rasa(message(verified_phone="09121112233", **tg), "09121112233", None)
    [(done, _, _)] = await divert.before_rasa(message(button_id="m", **tg), "صبح", "desk:callback:time:morning")
    assert "ثبت شد" in done
    async with session_factory(engine)() as session:
        [callback] = (await session.execute(select(Callback))).scalars()
    assert (callback.phone(sealer), callback.channel, callback.preferred_time) == ("09121112233", "telegram", "صبح")
    # Back to the bot, typed, at the phone step.
    await divert.after_rasa(message("اپراتور"), "اپراتور", [("۱۱۱۱", [], HUMAN_HINT)])
    await divert.before_rasa(message(button_id="y"), "بله، با من تماس بگیرید", YES)
    [(back, _, _)] = await divert.before_rasa(message("برگشت به همیار"), "برگشت به همیار", None)
    assert "همیار دوباره" in back
    assert await divert.before_rasa(message("سلام"), "سلام", None) is None


async def test_a_channel_that_cannot_be_reached_later_or_a_full_queue_gets_a_call_back(divert, service, outlet):
    outlet.unreachable.add("sms")
    out = await divert.after_rasa(message("اپراتور", channel="sms"), "اپراتور", [("۱۱۱۱", [], HUMAN_HINT)])
    assert "تماس می‌گیرد" in out[-1][0] and await service.queue.waiting() == []
    # tamin holds one: the second is offered a call-back, told the queue is busy.
    tamin = {"handoff": {"reason": "request_human", "agency": "tamin"}}
    await divert.after_rasa(message("اپراتور", chat_id="c2"), "اپراتور", [("۱۴۲۰", [], tamin)])
    out = await divert.after_rasa(message("اپراتور", chat_id="c3"), "اپراتور", [("۱۴۲۰", [], tamin)])
    assert "شلوغ" in out[-1][0]
    assert [w.item.conversation_id for w in await service.queue.waiting()] == ["web:c2"]


async def test_a_stale_desk_button_is_answered_without_rasa(divert):
    [(text, _, _)] = await divert.before_rasa(message(button_id="x"), "لغو", CANCEL)
    assert "دکمه دیگر فعال نیست" in text


async def test_the_agent_reads_the_turns_before_the_handoff(divert, engine, sealer, redis):
    # Two turns with the bot, then «اپراتور»: the transcript starts with the first, not the last.
    await divert.after_rasa(message("کد ملی من 0012345679 است"), "کد ملی من 0012345679 است", [("متوجه شدم.", [], {})])
    await divert.after_rasa(message("گذرنامه"), "گذرنامه", [("راهنمای گذرنامه:", [], {}), ("قدم اول…", [], {})])
    assert not any("0012345679" in entry for entry in await redis.lrange("hamyar:desk:recent:web:c1", 0, -1))
    await divert.after_rasa(message("اپراتور"), "اپراتور", [("با شماره ۱۱۱۱ تماس بگیرید.", [], HUMAN_HINT)])
    [record] = await handoffs(engine)
    assert [(e.author, e.text(sealer)) for e in record.transcript] == [
        (Author.citizen, "کد ملی من 0012345679 است"),
        (Author.bot, "متوجه شدم."),
        (Author.citizen, "گذرنامه"),
        (Author.bot, "راهنمای گذرنامه:"),
        (Author.bot, "قدم اول…"),
        (Author.citizen, "اپراتور"),
    ]
    assert await redis.exists("hamyar:desk:recent:web:c1") == 0  # now in the transcript only


async def test_recent_turns_keep_the_last_few_and_expire_with_the_tracker(redis, sealer):
    recent = RecentTurns(redis, sealer, kept=3, lifetime_seconds=600)
    await recent.add("web:c2", [Turn(Author.citizen, str(n)) for n in range(5)])
    assert 0 < await redis.ttl("hamyar:desk:recent:web:c2") <= 600
    assert [t.text for t in await recent.take("web:c2")] == ["2", "3", "4"]
    assert await recent.take("web:c2") == []


async def test_a_third_contact_about_one_case_and_a_case_waiting_on_the_citizen_raise_the_priority(divert, service):
    hint = {"handoff": {**HUMAN_HINT["handoff"], "case": "tamin:7140508305519", "waiting_on_citizen": False}}
    for n, conversation in enumerate(["c1", "c2"]):
        await divert.after_rasa(message("اپراتور", chat_id=conversation), "اپراتور", [("شماره", [], hint)])
    waiting = {w.item.conversation_id: w.item for w in await service.queue.waiting()}
    assert waiting["web:c1"].priority == 0 and waiting["web:c2"].priority == 0
    # The third contact about the same case, from whichever conversation: high, and why.
    await divert.after_rasa(message("اپراتور", chat_id="c3"), "اپراتور", [("شماره", [], hint)])
    third = {w.item.conversation_id: w.item for w in await service.queue.waiting()}["web:c3"]
    assert (third.priority, third.priority_reasons) == (3, ("سومین تماس",))
    # Another case, waiting on the citizen: raised for that reason alone (room made in the queue).
    assert await service.cancel("web:c1")
    other = {"handoff": {**HUMAN_HINT["handoff"], "case": "tamin:7140508213457", "waiting_on_citizen": True}}
    await divert.after_rasa(message("اپراتور", chat_id="c4"), "اپراتور", [("شماره", [], other)])
    fourth = {w.item.conversation_id: w.item for w in await service.queue.waiting()}["web:c4"]
    assert (fourth.priority, fourth.priority_reasons) == (1, ("منتظر شهروند",))
    # The queue names no case: the counter's key is a digest.
    assert not [k async for k in service.queue._redis.scan_iter("*7140508305519*")]


async def test_a_turn_goes_to_the_transcript_by_the_turns_own_transaction(divert, redis):
    # The router hands the turn's transaction over: nothing is written until it runs.
    async with redis.pipeline(transaction=True) as writes:
        await divert.after_rasa(message("گذرنامه"), "گذرنامه", [("راهنمای گذرنامه:", [], {})], writes)
        assert await redis.exists("hamyar:desk:recent:web:c1") == 0
        await writes.execute()
    assert await redis.llen("hamyar:desk:recent:web:c1") == 2


async def test_a_conversation_with_the_bot_is_told_apart_in_one_round_trip(divert, redis_sent):
    # At the desk? Arranging a call-back? Both asked together before every turn that goes to Rasa.
    assert await divert.before_rasa(message("سلام"), "سلام", None) is None
    assert redis_sent == [["HMGET", "HGETALL"]]
