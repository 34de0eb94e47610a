"""Ten journeys of an elderly first-time user, through the real stack (tests/integration/conftest.py).

Each is one citizen writing as such a citizen does: typos and Finglish, wrong answers (a wrong
phone, a wrong SMS code), long pauses (back-dated: the session expires and they come back days
later), «نفهمیدم», «دوباره بگو», «منو», «برگرد», «از اول», «اپراتور», old buttons pressed late, a
voice message, follow-ups, two questions in one message. Each ends in success (a case's status
after the identity check, a service's status, a guide's last step, a complaint filed), with a
person (the desk's queue) or with a call-back (the desk closed). Every turn is checked as it goes:
«متوجه نشدم» twice in a row always comes with a way out (`Citizen`).
"""

from __future__ import annotations

import dataclasses
import re

import pytest
import redis

from connectors.keys import HANDOFFS
from tests.integration.backdating import back_date, expire
from tests.integration.conftest import Chat
from tests.integration.test_bending import ASK_COMPLAINT_TEXT, ASK_ID, ASK_OTP, ASK_PHONE, active_form
from tests.integration.test_case_by_national_id import ASK_LOOKUP_AGENCY, SEARCH, ZAHRA, ZAHRA_CASES, prove
from tests.integration.test_come_back import DAY, FORM_OFFER, kept_days_ago
from tests.integration.test_conversations import MARYAM, persian, verify_by_sms
from tests.integration.test_desk_handoff import desk, user_turns
from tests.integration.test_generic_webhook import Bridge
from tests.integration.test_voice_in import KIND, MENU

pytestmark = pytest.mark.integration
__all__ = ["desk"]  # the fixture, used here by name

MISUNDERSTOOD = "متوجه نشدم"
PERSON = "صحبت با اپراتور"
ASK_CODE = "کد پیگیری"
STATUS = "وضعیت: در حال بررسی"
LICENCE_DOWN = "سامانه گواهینامه رانندگی الان از کار افتاده است"
DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")
NATIONAL_CARD_SLOW = "سامانه کارت ملی الان کند است"


class Citizen(Chat):
    """A citizen in the web chat whose every turn is checked: a second «متوجه نشدم» in a row
    comes with a person (a button, the queue or the call centre's number)."""

    lost_before = False

    async def send(self, body: dict) -> list[dict]:
        replies = await self.exchange(body)
        lost = MISUNDERSTOOD in self.text()
        if lost and self.lost_before:
            way_out = PERSON in self.buttons() or "صف کارشناسان" in self.text() or "۱۱۱۱" in self.text()
            assert way_out, f"«{MISUNDERSTOOD}» twice in a row without a way out: {self.text()} {self.buttons()}"
        self.lost_before = lost
        return replies

    async def exchange(self, body: dict) -> list[dict]:
        return await super().send(body)


class BridgeCitizen(Citizen):
    """The same citizen on a messenger bridged by the signed generic webhook (Eitaa), which can
    send a voice message; buttons come back by id as the payload."""

    def __init__(self, stack, source: str = "eitaa") -> None:
        super().__init__(stack)
        self.bridge = Bridge(stack, source)

    @property
    def conversation_id(self) -> str:
        return f"{self.bridge.source}:{self.bridge.chat_id}"

    async def exchange(self, body: dict) -> list[dict]:
        fields = {"payload": body.pop("button_id")} if "button_id" in body else body
        self.last = (await self.bridge.send(**fields))["replies"]
        self.history.extend(self.last)
        return self.last


@pytest.fixture
async def citizen(stack):
    conversation = await Citizen(stack).open()
    yield conversation
    await conversation.close()


def forget_buttons(stack, conversation_id: str) -> None:
    """The conversation's buttons gone, as their 24 hours' expiry (connectors/buttons.py) makes them."""
    with redis.Redis.from_url(stack.redis_url) as store:
        store.delete(f"hamyar:buttons:{conversation_id}")


async def follow_to_the_last_step(citizen: Chat) -> None:
    """«مرحله بعد» from the step shown to the guide's last, each step numbered in turn."""
    shown = re.search(r"مرحله ([۰-۹]+) از ([۰-۹]+)", citizen.text())
    assert shown, citizen.text()
    shown_step, last = (int(n.translate(DIGITS)) for n in shown.groups())
    for step in range(shown_step + 1, last + 1):
        await citizen.click("مرحله بعد")
        assert f"مرحله {persian(str(step))} از {persian(str(last))}" in citizen.text()
    assert "مرحله بعد" not in citizen.buttons() and "مرحله قبل" in citizen.buttons()


def button_id(citizen: Chat, title: str) -> str:
    return next(b["id"] for m in citizen.last for b in m.get("buttons", []) if b["title"] == title)


async def test_a_grandmother_follows_her_pension_case_through_a_wrong_phone_and_a_wrong_code(citizen):
    """Maryam, 74, wants to know what became of her insurance case. She greets in
    Finglish, gives her son's phone first, mistypes the SMS code, then asks what comes next."""
    await citizen.say("salam")
    assert "همیار" in citizen.text() and "پیگیری پرونده" in citizen.buttons()
    await citizen.say(f"سلام ببخشید پرونده {persian(MARYAM['code'])} چی شد؟")
    assert ASK_ID in citizen.text()
    await citizen.say(f"کدملیم {persian(MARYAM['national_id'])}")
    assert ASK_PHONE in citizen.text()
    await citizen.say("۰۹۱۳ ۱۰۰ ۰۲۰۲")  # her son's phone
    assert "به نام صاحب این کد ملی ثبت نشده" in citizen.text()
    await citizen.say("ببخشید اشتباه زدم")
    assert ASK_PHONE in citizen.text()
    await citizen.say("۰۹۱۲ ۱۰۰ ۰۱۰۱")
    assert ASK_OTP in citizen.text() and "۰۹۱۲***۰۱۰۱" in citizen.text()
    await citizen.say("۱۲۳۴۵۶")
    assert "این کد درست نیست" in citizen.text()
    await verify_by_sms(citizen, MARYAM["phone"])
    assert STATUS in citizen.text() and "قدم بعدی" in citizen.text()
    await citizen.say("خب حالا بعدش چیکار کنم؟")
    assert "قدم بعدی پرونده شما: شعبه سوابق شما را بررسی می‌کند" in citizen.text()
    await citizen.say("کجا برم؟")
    assert "شعبه ۱۲ تأمین اجتماعی تهران" in citizen.text()


async def test_an_old_man_follows_the_passport_guide_over_two_days(stack, citizen):
    """A retired teacher wants a passport for a pilgrimage. He misspells it, does not follow the
    first step, has a step said again, stops at step three and comes back two days later."""
    await citizen.say("چطوری پاسپرت بگیرم")
    assert "مرحله ۱ از" in citizen.text() and "گذرنامه" in citizen.text()
    await citizen.say("نفهمیدم")
    assert "همین مرحله، ساده‌تر" in citizen.text() and "پلیس +۱۰" in citizen.text()
    await citizen.click("مرحله بعد")
    assert "مرحله ۲ از" in citizen.text()
    second = citizen.text()
    await citizen.say("دوباره بگو")
    assert citizen.text() == second
    await citizen.click("مرحله بعد")
    assert "مرحله ۳ از" in citizen.text()
    back_date(stack.redis_url, citizen.conversation_id, 2 * DAY)

    await citizen.say("سلام")
    assert "دفعه قبل در مرحله ۳ راهنمای «گرفتن گذرنامه» بودید" in citizen.text()
    await citizen.click("ادامه")
    assert "مرحله ۳ از" in citizen.text() and "سربازی" in citizen.text()
    await follow_to_the_last_step(citizen)


async def test_a_retired_driver_asks_two_things_at_once_and_when_it_will_be_fixed(citizen):
    """A retired lorry driver's licence site would not open. He asks two things in one message,
    then when it will work, where to go meanwhile, and says goodbye."""
    await citizen.say("سلام وقت بخیر")
    assert "همیار" in citizen.text()
    await citizen.say("سامانه گواهینامه کار میکنه؟ سایت پاسپورت چی؟")
    text = citizen.text()
    assert LICENCE_DOWN in text and "سامانه گذرنامه الان کار می‌کند" in text, text
    # The passport was answered last: a bare «when» is about it, so he names the licence.
    await citizen.say("کی درست میشه؟")
    assert "سامانه گذرنامه الان کار می‌کند" in citizen.text(), citizen.text()
    await citizen.say("سایت گواهینامه کی درست میشه؟")
    assert LICENCE_DOWN in citizen.text() and "زمان تقریبی درست شدن" in citizen.text(), citizen.text()
    await citizen.say("کجا برم؟")
    assert "حضوری" in citizen.text(), citizen.text()
    where = citizen.text()
    await citizen.say("دوباره بگو")
    assert citizen.text() == where
    await citizen.say("mersi khodahafez")
    assert "خدانگهدار" in citizen.text()


async def test_a_widow_files_a_complaint_about_her_late_husbands_pension(citizen):
    """A widow whose husband's pension stopped reaching her. She types in Finglish, goes back a
    step at the SMS code to check her phone, and asks when she will hear back."""
    await citizen.say("mikham shekayat konam")
    assert {"تأمین اجتماعی", "ثبت احوال", "پلیس +۱۰"} <= set(citizen.buttons())
    await citizen.say("تامین اجتماعی")
    assert ASK_COMPLAINT_TEXT in citizen.text()
    await citizen.say("سه ماه است حقوق بازنشستگی شوهر خدابیامرزم به حساب من واریز نشده و هر بار میروم میگویند فردا بیا.")
    assert ASK_ID in citizen.text()
    await citizen.say(persian(MARYAM["national_id"]))
    assert ASK_PHONE in citizen.text()
    await citizen.say(MARYAM["phone"])
    assert ASK_OTP in citizen.text()
    await citizen.say("برگرد")
    assert ASK_PHONE in citizen.text() and citizen.slots()["phone_number"] is None
    await citizen.say(persian(MARYAM["phone"]))
    assert ASK_OTP in citizen.text()  # a new code sent
    await verify_by_sms(citizen, MARYAM["phone"])
    assert "تأمین اجتماعی" in citizen.text() and {"بله، ثبت کن", "نه، لغو کن"} == set(citizen.buttons())
    await citizen.click("بله، ثبت کن")
    assert "شکایت شما ثبت شد" in citizen.text() and re.search(r"کد پیگیری: [۰-۹]+", citizen.text())
    await citizen.say("کی جواب میدن؟")
    assert "کد پیگیری شکایت شما" in citizen.text()


async def test_a_man_who_cannot_find_the_words_is_handed_to_a_person(stack, desk):
    """An old farmer cannot say what he wants; after two misunderstandings he waits for a person,
    asks when his turn comes, and a desk agent answers and hands him back."""
    citizen = await Citizen(dataclasses.replace(stack, gateway=desk.url)).open()
    try:
        await citizen.say("سلام")
        assert "همیار" in citizen.text()
        greeting = citizen.last[-1]["text"]  # after the privacy notice of a first contact
        await citizen.say("دوباره بگو")
        assert citizen.text() == greeting
        await citizen.say("ققق ففف ثثث")  # fingers on the wrong keys
        assert "صف کارشناسان" not in citizen.text() and PERSON in citizen.buttons()
        await citizen.say("ژژژ ذذذ ظظظ")
        assert "باز هم متوجه نشدم" in citizen.text() and "صف کارشناسان" in citizen.text()
        [waiting] = await desk.app[HANDOFFS].queue.waiting()
        assert (waiting.item.conversation_id, waiting.item.reason) == (citizen.conversation_id, "misunderstood")
        turns = user_turns(stack, citizen.conversation_id)
        await citizen.say("کی نوبت من میشه؟")
        assert "نفر اول" in citizen.text() and user_turns(stack, citizen.conversation_id) == turns
        sara = await desk.agent("sara", "سارا")
        await desk.app[HANDOFFS].take(citizen.conversation_id, sara)
        [taken] = await citizen._events(1)
        assert "برداشته است" in taken["text"]
        assert await desk.app[HANDOFFS].agent_message(citizen.conversation_id, sara, "سلام پدرجان، چه کاری دارید؟")
        [words] = await citizen._events(1)
        assert words["agent_name"] == "سارا (کارشناس)"
        assert await citizen.say("میخواستم بدونم سایت بیمه بیکاری کار میکنه") == []  # to the agent only
        assert await desk.app[HANDOFFS].release(citizen.conversation_id, sara, "سامانه بیمه بیکاری را پرسید")
        [back] = await citizen._events(1)
        assert "همیار دوباره در خدمت شماست" in back["text"]
        await citizen.say("سایت بیمه بیکاری کار میکنه؟")
        assert "سامانه بیمه بیکاری" in citizen.text(), citizen.text()
    finally:
        await citizen.close()


@pytest.mark.parametrize("desk", ["closed"], indirect=True)
async def test_a_woman_asks_for_a_person_at_night_and_gets_a_call_back(stack, desk):
    """A woman of eighty starts a case lookup, cannot find her national id, asks for «اپراتور»
    late at night, mistypes her phone and is called back in the morning."""
    citizen = await Citizen(dataclasses.replace(stack, gateway=desk.url)).open()
    try:
        await citizen.say(f"پرونده {MARYAM['code']}")
        assert ASK_ID in citizen.text()
        await citizen.say("کد ملیمو نمیدونم")
        assert "کارت ملی" in citizen.text() and ASK_ID in citizen.text()
        await citizen.say("اپراتور")
        # A pension case: its agency's call centre, and a call-back offered.
        assert "۱۴۲۰" in citizen.text() and "سر کار نیستند" in citizen.text()
        await citizen.click("بله، با من تماس بگیرید")
        assert "شماره موبایلی را بنویسید که کارشناس با آن تماس بگیرد" in citizen.text()
        await citizen.say("۰۹۱۲۱۲۳")
        assert "این شماره موبایل درست نیست" in citizen.text()
        await citizen.say("۰۹۱۲ ۱۲۳ ۴۵۶۷")
        await citizen.click("صبح")
        assert "درخواست تماس شما ثبت شد" in citizen.text() and "صبح" in citizen.text()
        [callback] = await desk.callbacks()
        assert callback.phone(desk.sealer) == "09121234567" and callback.preferred_time == "صبح"
        assert await desk.app[HANDOFFS].queue.waiting() == []
    finally:
        await citizen.close()


async def test_a_man_who_sends_a_voice_message_checks_the_national_card_site(stack):
    """An old man on Eitaa who finds typing hard sends a voice message, then twice more in the
    middle, and checks by buttons whether the national card site works."""
    citizen = BridgeCitizen(stack)
    try:
        await citizen.say("slm")
        assert "همیار" in citizen.text()
        await citizen.send({"attachment": "voice"})
        assert KIND in citizen.text() and citizen.buttons() == MENU
        turns = user_turns(stack, citizen.conversation_id)
        await citizen.click("وضعیت سامانه‌ها")
        assert "وضعیت سامانه کدام سازمان" in citizen.text()
        await citizen.click("ثبت احوال")
        assert "کارت ملی" in citizen.buttons()
        old = button_id(citizen, "کارت ملی")
        await citizen.send({"attachment": "voice"})
        assert KIND in citizen.text()
        await citizen.send({"button_id": old})  # the button above the kind answer
        assert NATIONAL_CARD_SLOW in citizen.text()
        await citizen.say("یعنی چی؟")
        assert "ممکن است دیر باز شود" in citizen.text()
        assert user_turns(stack, citizen.conversation_id) == turns + 4  # the voice messages never reached Rasa
    finally:
        await citizen.close()


async def test_a_woman_presses_old_buttons_days_later(stack, citizen):
    """A grandmother reading the national card guide asks about her passport, presses the card
    guide's «مرحله بعد» still on her screen, two days later presses a button gone stale, and
    takes the guide up where she left it, to its last step."""
    await citizen.say("کارت ملیمو گم کردم چیکار کنم")
    assert "مرحله ۱ از" in citizen.text() and "کارت ملی" in citizen.text()
    card_next = button_id(citizen, "مرحله بعد")
    await citizen.say("سامانه پاسپورت کار میکنه؟")
    assert "سامانه گذرنامه الان کار می‌کند" in citizen.text()
    await citizen.send({"button_id": card_next})  # pressed late: the card guide moves on
    assert "مرحله ۲ از ۶" in citizen.text() and "کلانتری" in citizen.text()
    stale = button_id(citizen, "مرحله بعد")
    back_date(stack.redis_url, citizen.conversation_id, 2 * DAY)
    forget_buttons(stack, citizen.conversation_id)

    await citizen.send({"button_id": stale})
    assert "این دکمه دیگر فعال نیست" in citizen.text() and citizen.buttons() == ["منوی اصلی", PERSON]
    await citizen.click("منوی اصلی")
    # The menu, and (a new session after two days) the guide she left offered back.
    assert "من این کارها را بلدم" in citizen.text() and "راهنمای کارها" in citizen.buttons()
    assert "دفعه قبل در مرحله ۲ راهنمای «کارت ملی گم‌شده یا خراب» بودید" in citizen.text()
    await citizen.click("ادامه")
    assert "مرحله ۲ از ۶" in citizen.text() and "کلانتری" in citizen.text()
    await follow_to_the_last_step(citizen)


async def test_a_man_who_went_to_find_his_code_comes_back_days_later(stack, citizen):
    """A pensioner starts a case lookup without his code in hand, goes to look for the SMS, and
    comes back three days later (his conversation long gone) to finish it."""
    await citizen.say("پیگیری پرونده")
    assert ASK_CODE in citizen.text()
    await citizen.say("کدم پیش پسرمه")
    assert "پیامک" in citizen.text() and "درست به نظر نمی‌رسد" not in citizen.text()
    expire(stack.redis_url, citizen.conversation_id)
    await kept_days_ago(stack, citizen.conversation_id, 3)

    await citizen.say("salam man bargashtam")
    assert citizen.last[-1]["text"] == FORM_OFFER, citizen.text()
    await citizen.click("ادامه")
    assert ASK_CODE in citizen.text()
    await citizen.say(f"کدش اینه {persian(MARYAM['code'][:4])} {persian(MARYAM['code'][4:])}")
    assert ASK_ID in citizen.text(), citizen.text()
    await citizen.say(MARYAM["national_id"])
    await citizen.say(MARYAM["phone"])
    await verify_by_sms(citizen, MARYAM["phone"])
    assert STATUS in citizen.text()
    await citizen.say("کی تموم میشه؟")
    assert "زمان تمام شدن را نگفته" in citizen.text() and "خبرم کن" in citizen.buttons()


async def test_a_woman_without_a_tracking_code_starts_over_and_finds_her_cases(citizen):
    """A retired nurse has no tracking code. She starts a complaint by mistake, says «از اول»,
    asks for the menu, and finds her insurance cases by her national id."""
    await citizen.say("سلام، شکایت دارم")
    assert "شکایت شما درباره کدام سازمان است" in citizen.text()
    await citizen.say("از اول")
    assert "از اول شروع می‌کنیم" in citizen.text() and active_form(citizen) is None
    await citizen.say("منو")
    assert "پیگیری پرونده" in citizen.buttons()
    await citizen.say("میخوام پرونده بیمه ام رو ببینم ولی کد پیگیری ندارم")
    assert SEARCH in citizen.buttons(), citizen.buttons()
    await citizen.click(SEARCH)
    assert ASK_LOOKUP_AGENCY in citizen.text()
    await citizen.click("تأمین اجتماعی")
    assert ASK_ID in citizen.text()
    await prove(citizen, ZAHRA)
    assert all(title in citizen.text() for title in ZAHRA_CASES), citizen.text()
    await citizen.click("۱. گواهی سابقه بیمه")
    assert "وضعیت: گواهی در حال آماده شدن است" in citizen.text()
