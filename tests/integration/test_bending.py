"""Conversations that bend: something else asked inside a form, and «ندارم» for what it asks.

Through the real stack (tests/integration/conftest.py). Every form, at every slot: the other
question is answered, the way back is offered, the pending question is asked again, and what
was already given is kept.
"""

from __future__ import annotations

import pytest

from tests.integration.test_conversations import MARYAM, verify_by_sms

pytestmark = pytest.mark.integration

ASK_CODE = "لطفاً کد پیگیری پرونده را بنویسید"
ASK_ID = "کد ملی صاحب پرونده را بنویسید"
ASK_PHONE = "شماره موبایلی را بنویسید"
ASK_OTP = "یک کد پیامکی"
ASK_AGENCY = "وضعیت سامانه کدام سازمان"
ASK_SERVICE = "کدام سامانه ثبت احوال"
ASK_COMPLAINT_AGENCY = "شکایت شما درباره کدام سازمان است"
ASK_COMPLAINT_TEXT = "مشکل را در چند جمله بنویسید"
PASSPORT_UP = "سامانه گذرنامه الان کار می‌کند"
KINDLY = "همیار فقط در کارهای اداری کمک می‌کند"
COMPLAINT = "دو ماه است کارت ملی ام آماده نشده و کسی جواب تلفن را نمی‌دهد."


def active_form(chat) -> str | None:
    return (chat.stack.tracker(chat.conversation_id).get("active_loop") or {}).get("name")


def assert_back_to(chat, button: str, question: str) -> None:
    """The way back to the form is offered, and its pending question asked again."""
    assert button in chat.buttons() and "انصراف" in chat.buttons(), chat.buttons()
    assert question in chat.text(), chat.text()


async def aside_at_the_sms_code(chat, question: str, answer: str, back: str) -> None:
    """The phone given, a question instead of the SMS code: answered, and no wrong code counted."""
    await chat.say(MARYAM["phone"])
    await chat.say(question)
    assert answer in chat.text() and "این کد درست نیست" not in chat.text()
    assert_back_to(chat, back, ASK_OTP)
    await verify_by_sms(chat, MARYAM["phone"])


async def case_asked_phone(chat) -> None:
    await chat.say("میخوام پرونده مو پیگیری کنم")
    await chat.say(MARYAM["code"])
    await chat.say(MARYAM["national_id"])
    assert ASK_PHONE in chat.text()


async def status_asked_service(chat) -> None:
    await chat.say("منو")
    await chat.click("وضعیت سامانه‌ها")
    await chat.click("ثبت احوال")
    assert ASK_SERVICE in chat.text()


async def complaint_asked_text(chat) -> None:
    await chat.say("میخوام شکایت کنم")
    await chat.click("ثبت احوال")
    assert ASK_COMPLAINT_TEXT in chat.text()


# The case lookup: tracking_code, national_id, phone_number, otp_code.


async def test_a_service_status_asked_for_a_tracking_code_is_answered_and_the_lookup_goes_on(chat):
    await chat.say("میخوام پرونده مو پیگیری کنم")
    await chat.say("راستی سامانه گذرنامه کار میکنه؟")
    assert PASSPORT_UP in chat.text()
    assert "این کد پیگیری درست به نظر نمی‌رسد" not in chat.text()
    assert_back_to(chat, "ادامه پیگیری پرونده", ASK_CODE)
    await chat.click("ادامه پیگیری پرونده")
    assert ASK_CODE in chat.text() and "درست به نظر نمی‌رسد" not in chat.text()
    await chat.say(MARYAM["code"])
    assert ASK_ID in chat.text()


async def test_a_service_status_asked_for_the_national_id_keeps_the_tracking_code(chat):
    await chat.say(f"پرونده {MARYAM['code']}")
    await chat.say("سایت پاسپورت بالاست؟")
    assert PASSPORT_UP in chat.text() and "این کد ملی درست نیست" not in chat.text()
    assert_back_to(chat, "ادامه پیگیری پرونده", ASK_ID)
    assert chat.slots()["tracking_code"] == MARYAM["code"]
    await chat.say(MARYAM["national_id"])
    assert ASK_PHONE in chat.text()


async def test_a_how_to_asked_for_the_phone_is_followed_inside_the_lookup(chat):
    await case_asked_phone(chat)
    await chat.say("چطوری گذرنامه بگیرم")
    assert "مرحله ۱ از" in chat.text() and "این شماره موبایل درست نیست" not in chat.text()
    assert_back_to(chat, "ادامه پیگیری پرونده", ASK_PHONE)
    await chat.click("مرحله بعد")
    assert "مرحله ۲ از" in chat.text() and ASK_PHONE in chat.text()
    slots = chat.slots()
    assert slots["tracking_code"] == MARYAM["code"] and slots["national_id"] == MARYAM["national_id"]
    await chat.say(MARYAM["phone"])
    assert ASK_OTP in chat.text()


async def test_an_off_topic_question_for_a_tracking_code_says_what_hamyar_does_with_the_way_out(chat):
    await chat.say("پیگیری پرونده")
    await chat.say("هوا امروز چطوره؟")
    assert KINDLY in chat.text() and "متوجه نشدم" not in chat.text()
    assert_back_to(chat, "ادامه پیگیری پرونده", ASK_CODE)
    await chat.click("انصراف")
    assert "کنار گذاشتیم" in chat.text() and active_form(chat) is None


async def test_an_off_topic_question_for_the_sms_code_is_no_wrong_code(chat):
    await case_asked_phone(chat)
    await aside_at_the_sms_code(chat, "یه شعر برام بگو", KINDLY, "ادامه پیگیری پرونده")
    assert "وضعیت:" in chat.text()


async def test_another_task_inside_the_lookup_keeps_what_was_given(chat):
    await chat.say(f"پرونده {MARYAM['code']}")
    await chat.say("میخوام شکایت کنم")
    assert "اول کار فعلی را تمام کنید" in chat.text()
    assert_back_to(chat, "ادامه پیگیری پرونده", ASK_ID)
    assert chat.slots()["tracking_code"] == MARYAM["code"] and active_form(chat) == "case_status_form"


# «ندارم», for each item the lookup asks.


async def test_no_tracking_code_before_the_lookup_says_where_to_find_it(chat):
    await chat.say("میخوام پرونده مو پیگیری کنم ولی کد پیگیری ندارم")
    text = chat.text()
    assert "پیامک" in text and "رسید" in text and "سایت" in text
    assert ASK_CODE not in text
    assert "صحبت با اپراتور" in chat.buttons()


async def test_no_tracking_code_in_finglish(chat):
    await chat.say("kod peygiri nadaram")
    assert "رسید دفتر پیشخوان" in chat.text() and ASK_CODE not in chat.text()


async def test_a_lost_tracking_code_inside_the_lookup_is_helped_and_asked_again(chat):
    await chat.say("پیگیری پرونده")
    await chat.say("گمش کردم")
    assert "رسید دفتر پیشخوان" in chat.text() and "درست به نظر نمی‌رسد" not in chat.text()
    assert ASK_CODE in chat.text() and "صحبت با اپراتور" in chat.buttons()
    assert chat.slots()["requested_slot"] == "tracking_code"
    helped = chat.text()
    await chat.say("دوباره بگو")
    # The last answer again, then the pending question once (tests/integration/test_follow_ups.py).
    assert chat.text() == helped and chat.text().count(ASK_CODE) == 1, chat.text()


async def test_an_unknown_national_id_is_found_on_the_card(chat):
    await chat.say(f"پرونده {MARYAM['code']}")
    await chat.say("نمیدونم کد ملیم چنده")
    assert "کارت ملی" in chat.text() and "شناسنامه" in chat.text()
    assert "این کد ملی درست نیست" not in chat.text() and ASK_ID in chat.text()
    assert chat.slots()["tracking_code"] == MARYAM["code"]


async def test_a_changed_phone_is_explained_with_the_operators_office(chat):
    await case_asked_phone(chat)
    await chat.say("شماره ام عوض شده")
    text = chat.text()
    assert "دفتر اپراتور" in text and "به نام صاحب همین کد ملی" in text
    assert "این شماره موبایل درست نیست" not in text and ASK_PHONE in text
    assert "صحبت با اپراتور" in chat.buttons()
    slots = chat.slots()
    assert slots["tracking_code"] == MARYAM["code"] and slots["national_id"] == MARYAM["national_id"]


async def test_an_sms_code_that_did_not_come_is_no_wrong_code(chat):
    await case_asked_phone(chat)
    await chat.say(MARYAM["phone"])
    await chat.say("کد تایید برام نیومده")
    assert "پیامک" in chat.text() and "این کد درست نیست" not in chat.text() and ASK_OTP in chat.text()
    await verify_by_sms(chat, MARYAM["phone"])
    assert "وضعیت:" in chat.text()


# The service status: agency, service.


async def test_a_how_to_asked_for_the_agency_is_answered_and_the_status_check_goes_on(chat):
    await chat.say("منو")
    await chat.click("وضعیت سامانه‌ها")
    await chat.say("چطوری گذرنامه بگیرم")
    assert "مرحله ۱ از" in chat.text()
    assert_back_to(chat, "ادامه بررسی سامانه", ASK_AGENCY)
    await chat.click("ادامه بررسی سامانه")
    assert ASK_AGENCY in chat.text()
    await chat.click("ثبت احوال")
    await chat.click("کارت ملی")
    assert "سامانه کارت ملی الان کند است" in chat.text()


async def test_off_topic_asked_for_the_service_keeps_the_agency(chat):
    await status_asked_service(chat)
    await chat.say("قیمت دلار چنده؟")
    assert KINDLY in chat.text()
    assert_back_to(chat, "ادامه بررسی سامانه", ASK_SERVICE)
    assert chat.slots()["agency"] == "sabt"
    await chat.click("شناسنامه")
    assert "سامانه شناسنامه" in chat.text()


async def test_a_case_asked_for_the_service_is_another_task(chat):
    await status_asked_service(chat)
    await chat.say("میخوام پرونده مو پیگیری کنم")
    assert "اول کار فعلی را تمام کنید" in chat.text()
    assert_back_to(chat, "ادامه بررسی سامانه", ASK_SERVICE)
    assert chat.slots()["agency"] == "sabt"


# The complaint: agency, text, national_id, phone_number, otp_code, confirmation.


async def test_a_service_status_asked_for_the_complaint_agency_is_no_agency(chat):
    await chat.say("میخوام شکایت کنم")
    await chat.say("راستی سامانه گذرنامه کار میکنه؟")
    assert PASSPORT_UP in chat.text()
    assert_back_to(chat, "ادامه ثبت شکایت", ASK_COMPLAINT_AGENCY)
    assert chat.slots()["complaint_agency"] is None
    await chat.click("ثبت احوال")
    assert ASK_COMPLAINT_TEXT in chat.text()


async def test_a_how_to_asked_for_the_complaint_text_and_the_way_back(chat):
    await complaint_asked_text(chat)
    await chat.say("چطوری گذرنامه بگیرم")
    assert "مرحله ۱ از" in chat.text()
    assert_back_to(chat, "ادامه ثبت شکایت", ASK_COMPLAINT_TEXT)
    await chat.click("ادامه ثبت شکایت")
    # The button is not the complaint's text.
    assert ASK_COMPLAINT_TEXT in chat.text() and "کمی بیشتر بنویسید" not in chat.text()
    assert chat.slots()["complaint_text"] is None and chat.slots()["complaint_agency"] == "sabt"
    await chat.say(COMPLAINT)
    assert ASK_ID in chat.text()


async def test_a_complaint_that_reads_like_a_status_question_is_still_the_complaint(chat):
    await chat.say("شکایت دارم از تامین اجتماعی")
    await chat.say("سامانه تامین اجتماعی دو هفته است کار نمی‌کند و مستمری پدرم نیامده")
    assert ASK_ID in chat.text()
    assert "مستمری پدرم" in chat.slots()["complaint_text"]


async def test_off_topic_asked_for_the_national_id_in_a_complaint_keeps_it(chat):
    await complaint_asked_text(chat)
    await chat.say(COMPLAINT)
    await chat.say("یه جوک بگو")
    assert KINDLY in chat.text()
    assert_back_to(chat, "ادامه ثبت شکایت", ASK_ID)
    slots = chat.slots()
    assert slots["complaint_agency"] == "sabt" and slots["complaint_text"] == COMPLAINT


async def test_a_changed_phone_in_a_complaint(chat):
    await complaint_asked_text(chat)
    await chat.say(COMPLAINT)
    await chat.say(MARYAM["national_id"])
    await chat.say("shomaram avaz shode")
    assert "دفتر اپراتور" in chat.text() and ASK_PHONE in chat.text()
    assert chat.slots()["national_id"] == MARYAM["national_id"]


async def test_a_service_status_asked_for_the_sms_code_of_a_complaint_and_then_the_read_back(chat):
    await complaint_asked_text(chat)
    await chat.say(COMPLAINT)
    await chat.say(MARYAM["national_id"])
    await aside_at_the_sms_code(chat, "سایت پاسپورت کار میکنه؟", PASSPORT_UP, "ادامه ثبت شکایت")
    assert "ثبت کنم؟" in chat.text()
    # Asked again at the read-back, the question is answered and the read-back repeated.
    await chat.say("سامانه گذرنامه کار میکنه؟")
    assert PASSPORT_UP in chat.text() and "ثبت کنم؟" in chat.text()
    await chat.click("ادامه ثبت شکایت")
    assert "ثبت کنم؟" in chat.text() and "متوجه نشدم" not in chat.text()
    await chat.click("بله، ثبت کن")
    assert "شکایت شما ثبت شد" in chat.text()


# «منو» inside a form: the menu with the way back; another task chosen there leaves the form.


async def test_the_menu_inside_the_lookup_offers_the_way_back_first(chat):
    await chat.say(f"پرونده {MARYAM['code']}")
    await chat.say("منو")
    assert "ادامه پیگیری پرونده" in chat.buttons() and "ثبت شکایت" in chat.buttons()
    assert ASK_ID in chat.text() and active_form(chat) == "case_status_form"
    await chat.click("ادامه پیگیری پرونده")
    assert ASK_ID in chat.text() and chat.slots()["tracking_code"] == MARYAM["code"]


async def test_another_task_chosen_from_the_menu_inside_a_form_is_started(chat):
    await chat.say(f"پرونده {MARYAM['code']}")
    await chat.say("منو")
    await chat.click("وضعیت سامانه‌ها")
    assert ASK_AGENCY in chat.text() and active_form(chat) == "service_status_form"
    assert chat.slots()["tracking_code"] is None


# Second thoughts: «برگرد», «اشتباه زدم» (with or without the right value), «ولش کن».


async def test_back_at_the_phone_asks_the_national_id_again_and_keeps_the_code(chat):
    await case_asked_phone(chat)
    await chat.say("برگرد")
    assert "یک مرحله برگشتیم" in chat.text() and ASK_ID in chat.text()
    slots = chat.slots()
    assert slots["national_id"] is None and slots["tracking_code"] == MARYAM["code"]
    await chat.say(MARYAM["national_id"])
    assert ASK_PHONE in chat.text()


async def test_back_at_the_first_question_goes_back_to_the_menu(chat):
    await chat.say("پیگیری پرونده")
    await chat.say("برگرد")
    assert "برگشتیم به منو" in chat.text() and "ثبت شکایت" in chat.buttons()
    assert active_form(chat) is None


async def test_a_wrong_national_id_taken_is_asked_again(chat):
    await case_asked_phone(chat)
    await chat.say("نه اشتباه شد")
    assert "اشکالی ندارد" in chat.text() and ASK_ID in chat.text()
    assert chat.slots()["national_id"] is None and chat.slots()["tracking_code"] == MARYAM["code"]


async def test_a_mistyped_phone_refused_is_asked_again_and_nothing_else_is_lost(chat):
    await case_asked_phone(chat)
    await chat.say("۰۹۱۲")
    assert "این شماره موبایل درست نیست" in chat.text()
    await chat.say("ببخشید اشتباه زدم")
    assert "اشکالی ندارد" in chat.text() and ASK_PHONE in chat.text()
    assert chat.slots()["national_id"] == MARYAM["national_id"]


async def test_a_correction_with_the_right_code_replaces_the_code(chat):
    await chat.say("پرونده ۷۱۴۰۵۰۸۲۱۳۴۵۸")
    assert ASK_ID in chat.text()
    await chat.say(f"ببخشید اشتباه زدم کدم {MARYAM['code']} بود")
    assert ASK_ID in chat.text() and chat.slots()["tracking_code"] == MARYAM["code"]
    await chat.say(MARYAM["national_id"])
    assert ASK_PHONE in chat.text()


async def test_back_at_the_sms_code_asks_the_phone_again(chat):
    await case_asked_phone(chat)
    await chat.say(MARYAM["phone"])
    assert ASK_OTP in chat.text()
    await chat.say("برگرد")
    assert ASK_PHONE in chat.text() and chat.slots()["phone_number"] is None
    await chat.say(MARYAM["phone"])
    await verify_by_sms(chat, MARYAM["phone"])
    assert "وضعیت:" in chat.text()


@pytest.mark.parametrize("words", ["ولش کن", "بیخیال", "منصرف شدم"])
async def test_letting_it_go_at_the_sms_code_gives_the_lookup_up(chat, words):
    await case_asked_phone(chat)
    await chat.say(MARYAM["phone"])
    await chat.say(words)
    assert "کنار گذاشتیم" in chat.text() and active_form(chat) is None
    assert chat.slots()["tracking_code"] is None


async def test_back_at_the_service_asks_the_agency_again(chat):
    await status_asked_service(chat)
    await chat.say("برگرد")
    assert ASK_AGENCY in chat.text() and chat.slots()["agency"] is None
    await chat.click("پلیس +۱۰")
    await chat.click("گذرنامه")
    assert PASSPORT_UP in chat.text()


async def test_back_at_the_complaint_text_asks_the_agency_again(chat):
    await complaint_asked_text(chat)
    await chat.say("برگرد")
    assert ASK_COMPLAINT_AGENCY in chat.text() and chat.slots()["complaint_agency"] is None


async def test_a_complaint_text_taken_by_mistake_is_asked_again(chat):
    await complaint_asked_text(chat)
    await chat.say(COMPLAINT)
    assert ASK_ID in chat.text()
    await chat.say("اشتباه نوشتم")
    assert ASK_COMPLAINT_TEXT in chat.text() and chat.slots()["complaint_text"] is None
    assert chat.slots()["complaint_agency"] == "sabt"


async def test_back_at_the_read_back_of_a_complaint_asks_its_text_again(chat):
    await complaint_asked_text(chat)
    await chat.say(COMPLAINT)
    await chat.say(MARYAM["national_id"])
    await chat.say(MARYAM["phone"])
    await verify_by_sms(chat, MARYAM["phone"])
    assert "ثبت کنم؟" in chat.text()
    await chat.say("برگرد")
    assert ASK_COMPLAINT_TEXT in chat.text() and chat.slots()["complaint_text"] is None
    await chat.say(COMPLAINT)
    assert "ثبت کنم؟" in chat.text()  # the identity proved is not asked again


# Two requests in one message; a procedure no guide explains.


async def test_two_questions_in_one_message_are_both_answered_in_order(chat):
    await chat.say("سامانه گذرنامه کار میکنه؟ چطوری تمدیدش کنم؟")
    text = chat.text()
    assert PASSPORT_UP in text and "«تمدید گذرنامه»" in text
    assert text.index(PASSPORT_UP) < text.index("«تمدید گذرنامه»")
    assert "گرفتن گذرنامه" in chat.buttons() and "مرحله ۱ از" not in text  # offered, not started


async def test_renewing_a_passport_is_said_to_have_no_guide(chat):
    await chat.say("پاسپورتم تموم شده چطوری تمدیدش کنم")
    assert "«تمدید گذرنامه» را هنوز ندارم" in chat.text() and "مرحله ۱ از" not in chat.text()
    assert "گرفتن گذرنامه" in chat.buttons() and "صحبت با اپراتور" in chat.buttons()


async def test_a_follow_up_with_its_own_topic_is_not_pulled_to_the_last_service(chat):
    await chat.say("سامانه گذرنامه کار میکنه؟")
    await chat.say("رمز عبورمو گم کردم چیکار کنم")
    assert "گذرنامه" not in chat.text() and "رمز" in chat.text()


async def test_two_questions_inside_the_lookup_are_answered_and_the_way_back_offered_once(chat):
    await chat.say(f"پرونده {MARYAM['code']}")
    await chat.say("سامانه گذرنامه کار میکنه؟ چطوری گذرنامه بگیرم؟")
    assert PASSPORT_UP in chat.text() and "مرحله ۱ از" in chat.text()
    assert chat.text().count(ASK_ID) == 1 and chat.buttons().count("ادامه پیگیری پرونده") == 1
    assert chat.slots()["tracking_code"] == MARYAM["code"] and active_form(chat) == "case_status_form"


async def test_a_complaint_of_two_questions_is_taken_whole(chat):
    await complaint_asked_text(chat)
    words = "چرا کارت ملی من بعد از دو ماه آماده نشده؟ چرا کسی جواب تلفن را نمی‌دهد؟"
    await chat.say(words)
    assert ASK_ID in chat.text() and "جواب تلفن" in chat.slots()["complaint_text"]


@pytest.mark.parametrize(
    "start, asked",
    [("case", ASK_CODE), ("status", ASK_SERVICE), ("complaint", ASK_COMPLAINT_AGENCY)],
)
async def test_a_greeting_and_thanks_inside_a_form_are_answered_in_kind(chat, start, asked):
    """Elderly citizens greet and thank mid-way: never «متوجه نشدم» for it, and the question again."""
    if start == "case":
        await chat.say("میخوام پرونده مو پیگیری کنم")
    elif start == "status":
        await status_asked_service(chat)
    else:
        await chat.say("میخوام شکایت کنم")
    assert asked in chat.text()
    for said, answer in (("سلام", "سلام، در خدمتم"), ("خیلی ممنون", "خواهش می‌کنم")):
        await chat.say(said)
        assert answer in chat.text() and asked in chat.text() and "متوجه نشدم" not in chat.text()
    assert active_form(chat) is not None
