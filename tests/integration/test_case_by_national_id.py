"""No tracking code: the citizen's cases found by national id, where an agency's contract lists
them (tamin in the sandbox), through the real stack. The same identity check as the case lookup
comes first; nothing is shown before it is proved.
"""

from __future__ import annotations

import pytest

from tests.integration.test_conversations import verify_by_sms

pytestmark = pytest.mark.integration

SEARCH = "جستجو با کد ملی"
ASK_LOOKUP_AGENCY = "پرونده شما در کدام سازمان است"
ASK_CODE = "لطفاً کد پیگیری پرونده را بنویسید"
ASK_ID = "کد ملی صاحب پرونده را بنویسید"
ASK_PHONE = "شماره موبایلی را بنویسید"
TAMIN = "تأمین اجتماعی"
# Demo people (sandbox/data/DEMO.md): two open tamin cases, one, none.
ZAHRA = {"national_id": "2283081610", "phone": "09171000505"}
HASSAN = {"national_id": "1283564807", "phone": "09131000202"}
MAHDI = {"national_id": "3869390778", "phone": "09011001111"}
ZAHRA_CASES = ("گواهی سابقه بیمه", "اصلاح سابقه بیمه")


def active_form(chat) -> str | None:
    return (chat.stack.tracker(chat.conversation_id).get("active_loop") or {}).get("name")


async def search_at_tamin(chat) -> None:
    """«کد پیگیری ندارم», then the search, at the one agency that offers it."""
    await chat.say("میخوام پرونده مو پیگیری کنم ولی کد پیگیری ندارم")
    assert SEARCH in chat.buttons(), chat.buttons()
    await chat.click(SEARCH)
    assert ASK_LOOKUP_AGENCY in chat.text(), chat.text()
    await chat.click(TAMIN)
    assert ASK_ID in chat.text()


async def prove(chat, person: dict) -> None:
    await chat.say(person["national_id"])
    assert ASK_PHONE in chat.text()
    await chat.say(person["phone"])
    await verify_by_sms(chat, person["phone"])


async def test_several_cases_are_listed_and_the_one_chosen_is_shown(chat):
    await search_at_tamin(chat)
    await prove(chat, ZAHRA)
    assert all(title in chat.text() for title in ZAHRA_CASES), chat.text()
    assert "۱. گواهی سابقه بیمه" in chat.buttons() and "صحبت با اپراتور" in chat.buttons()
    await chat.click("۱. گواهی سابقه بیمه")
    # Shown at once: the identity was proved a moment ago, in this session.
    assert "وضعیت: گواهی در حال آماده شدن است" in chat.text() and ASK_ID not in chat.text()
    assert "خبرم کن" in chat.buttons()


async def test_one_case_is_shown_directly_from_inside_the_lookup(chat):
    await chat.say("پیگیری پرونده")
    await chat.say("گمش کردم")
    assert ASK_CODE in chat.text() and SEARCH in chat.buttons()
    await chat.click(SEARCH)
    assert ASK_LOOKUP_AGENCY in chat.text() and "درست به نظر نمی‌رسد" not in chat.text()
    await chat.click(TAMIN)
    assert chat.slots()["tracking_code"] is None  # the search's button was no tracking code
    await prove(chat, HASSAN)
    assert "درخواست بیمه بیکاری" in chat.text() and "وضعیت: منتظر مدرک از طرف شما" in chat.text()
    assert active_form(chat) is None and chat.slots()["case_lookup"] is None


async def test_no_case_is_said_kindly_with_a_person(chat):
    await search_at_tamin(chat)
    await prove(chat, MAHDI)
    assert "پرونده بازی به نام شما پیدا نشد" in chat.text()
    assert "صحبت با اپراتور" in chat.buttons()


async def test_an_agency_that_does_not_list_cases_is_not_offered(chat):
    await chat.say("کد پیگیری ندارم")
    await chat.click(SEARCH)
    assert TAMIN in chat.buttons()
    assert "پلیس +۱۰" not in chat.buttons() and "ثبت احوال" not in chat.buttons()
    await chat.say("پلیس")
    assert "برای این سازمان هنوز ممکن نیست" in chat.text() and ASK_LOOKUP_AGENCY in chat.text()
    assert chat.slots()["lookup_agency"] is None and active_form(chat) == "case_status_form"


async def test_nothing_is_shown_before_the_identity_is_proved(chat):
    await search_at_tamin(chat)
    await chat.say(ZAHRA["national_id"])
    await chat.say(HASSAN["phone"])  # another citizen's phone
    assert "به نام صاحب این کد ملی ثبت نشده" in chat.text()
    await chat.say(ZAHRA["phone"])
    await chat.say("۱۲۳۴۵۶")  # not the code sent
    assert "این کد درست نیست" in chat.text()
    await chat.say("ولش کن")
    assert "کنار گذاشتیم" in chat.text() and active_form(chat) is None
    shown = "\n".join(m["text"] for m in chat.history)
    assert not any(title in shown for title in ZAHRA_CASES)
    assert chat.slots()["case_lookup"] is None and chat.slots()["lookup_agency"] is None


async def test_a_question_at_the_agency_is_answered_and_the_search_goes_on(chat):
    await chat.say("کد پیگیری ندارم")
    await chat.click(SEARCH)
    await chat.say("راستی سامانه گذرنامه کار میکنه؟")
    assert "سامانه گذرنامه الان کار می‌کند" in chat.text()
    assert "ادامه پیگیری پرونده" in chat.buttons() and ASK_LOOKUP_AGENCY in chat.text()
    await chat.click("ادامه پیگیری پرونده")
    assert ASK_LOOKUP_AGENCY in chat.text()
    await chat.click(TAMIN)
    # «برگرد» at the national id: the agency is asked again.
    await chat.say("برگرد")
    assert ASK_LOOKUP_AGENCY in chat.text() and chat.slots()["lookup_agency"] is None
    await chat.click(TAMIN)
    await prove(chat, HASSAN)
    assert "وضعیت: منتظر مدرک از طرف شما" in chat.text()
