"""Questions about the last answer, through the real stack (actions/follow_up.py): answered about
the service, case, guide step or complaint just talked about; and «از اول», «دوباره بگو», a
guide's old button, anywhere."""

from __future__ import annotations

import pytest

from tests.integration.test_bending import ASK_COMPLAINT_TEXT, ASK_PHONE, COMPLAINT, active_form, case_asked_phone
from tests.integration.test_conversations import MARYAM, look_up_verified, verify_by_sms

pytestmark = pytest.mark.integration

LICENCE_DOWN = "سامانه گواهینامه رانندگی الان از کار افتاده است"
NO_GUIDE = "الان راهنمایی باز نیست"


# After a service's status.


@pytest.mark.parametrize("question", ["کی درست میشه؟", "ki dorost mishe", "تا کی خرابه"])
async def test_when_after_a_service_that_is_down_is_its_restore_time(chat, question):
    await chat.say("سامانه گواهینامه کار میکنه؟")
    assert LICENCE_DOWN in chat.text()
    await chat.say(question)
    assert "تقریباً تا این زمان درست می‌شود" in chat.text() and "۱۴۰۵" in chat.text(), chat.text()
    assert "همیار چه اطلاعاتی" not in chat.text()


async def test_when_after_a_service_that_works_says_it_works(chat):
    await chat.say("سایت پاسپورت کار میکنه؟")
    await chat.say("کی درست میشه؟")
    assert "سامانه گذرنامه الان کار می‌کند" in chat.text()


async def test_what_it_means_after_a_slow_service(chat):
    await chat.say("سامانه کارت ملی کار میکنه؟")
    await chat.say("یعنی چی؟")
    assert "ممکن است دیر باز شود" in chat.text()


async def test_what_next_after_a_service_offers_its_guides(chat):
    await chat.say("سامانه گذرنامه کار میکنه؟")
    await chat.say("حالا بعدش چیکار کنم؟")
    assert "حضوری" in chat.text() and "گرفتن گذرنامه" in chat.buttons() and NO_GUIDE not in chat.text()


# After a case.


async def test_what_next_after_a_case_is_its_next_step(chat):
    await look_up_verified(chat)
    await chat.say("مرسی. بعدش چیکار کنم؟")
    assert "قدم بعدی پرونده شما: شعبه سوابق شما را بررسی می‌کند" in chat.text(), chat.text()
    assert NO_GUIDE not in chat.text()


async def test_where_what_it_means_and_when_after_a_case(chat):
    await look_up_verified(chat)
    await chat.say("کجا برم؟")
    assert "شعبه ۱۲ تأمین اجتماعی تهران" in chat.text()
    await chat.say("یعنی چی؟")
    assert "دارند پرونده شما را بررسی می‌کنند" in chat.text()
    await chat.say("کی تموم میشه؟")
    assert "زمان تمام شدن را نگفته" in chat.text() and "خبرم کن" in chat.buttons()


async def test_a_case_follow_up_after_goodbye_asks_for_the_identity_again(chat):
    await look_up_verified(chat)
    await chat.say("خداحافظ")
    await chat.say("بعدش چیکار کنم؟")
    assert "هویت شما را دوباره بررسی کنم" in chat.text() and "شعبه سوابق" not in chat.text()


# After a guide step; after a complaint; with nothing before.


async def test_what_it_means_after_a_guide_step_says_the_step_more_simply(chat):
    await chat.say("چطوری گذرنامه بگیرم")
    assert "مرحله ۱ از" in chat.text()
    await chat.say("نفهمیدم")
    assert "همین مرحله، ساده‌تر" in chat.text() and "پلیس +۱۰" in chat.text()
    await chat.click("مرحله بعد")
    assert "مرحله ۲ از" in chat.text()


async def test_when_after_a_complaint_gives_its_tracking_code(chat):
    await chat.say("میخوام شکایت کنم")
    await chat.click("ثبت احوال")
    assert ASK_COMPLAINT_TEXT in chat.text()
    await chat.say(COMPLAINT)
    await chat.say(MARYAM["national_id"])
    await chat.say(MARYAM["phone"])
    await verify_by_sms(chat, MARYAM["phone"])
    await chat.click("بله، ثبت کن")
    assert "شکایت شما ثبت شد" in chat.text()
    await chat.say("کی جواب میدن؟")
    assert "کد پیگیری شکایت شما" in chat.text()


async def test_a_follow_up_with_nothing_before_asks_what_about(chat):
    await chat.say("کی درست میشه؟")
    assert "درباره کدام کار می‌پرسید" in chat.text() and "پیگیری پرونده" in chat.buttons()


async def test_what_it_means_inside_a_form_explains_the_pending_question(chat):
    await case_asked_phone(chat)
    await chat.say("یعنی چی؟")
    assert "به نام صاحب همین کد ملی" in chat.text() and ASK_PHONE in chat.text()
    assert chat.slots()["national_id"] == MARYAM["national_id"]


# «از اول», «دوباره بگو», an old button.


async def test_start_over_inside_a_complaint_leaves_it_for_the_menu(chat):
    await chat.say("میخوام شکایت کنم")
    await chat.click("ثبت احوال")
    await chat.say("از اول")
    assert "از اول شروع می‌کنیم" in chat.text() and "پیگیری پرونده" in chat.buttons()
    assert active_form(chat) is None and chat.slots()["complaint_agency"] is None


async def test_repeat_inside_a_form_repeats_the_last_answer_and_the_question_once(chat):
    await case_asked_phone(chat)
    await chat.say("سامانه گذرنامه کار میکنه؟")
    answer = chat.text()
    await chat.say("دوباره بگو")
    assert "سامانه گذرنامه الان کار می‌کند" in chat.text() and chat.text().count(ASK_PHONE) == 1
    assert chat.text() == answer


async def test_a_guide_button_pressed_late_moves_from_where_it_was_shown(chat):
    await chat.say("چطوری گذرنامه بگیرم")
    first = next(b for m in chat.last for b in m.get("buttons", []) if b["title"] == "مرحله بعد")
    await chat.say("کارت ملی المثنی چطوری بگیرم")
    assert "مرحله ۱ از" in chat.text() and "کارت ملی" in chat.text()
    await chat.send({"button_id": first["id"]})  # the passport guide's button, pressed late
    assert "مرحله ۲ از" in chat.text() and "اصل شناسنامه" in chat.text(), chat.text()
