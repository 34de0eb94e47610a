"""The trained model read through Rasa's HTTP API: typos, Finglish and real words it lacks."""

from __future__ import annotations

import aiohttp
import pytest

pytestmark = pytest.mark.integration


async def parse(stack, text: str) -> dict:
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{stack.rasa}/model/parse", json={"text": text}, params={"token": stack.tokens["RASA_API_TOKEN"]}
        ) as response:
            assert response.status == 200
            return await response.json()


@pytest.mark.parametrize(
    "text, intent",
    [
        ("اپارتور", "request_human"),  # two letters swapped
        ("خداحفظ", "goodbye"),  # a letter missing
        ("مرسسی", "thank"),  # a letter doubled
        ("سلللام", "greet"),  # a letter typed many times
        ("mamnon", "thank"),  # a Finglish word misspelt
        ("vaziate parvandeye man chi shode", "case_status"),
        ("منتظر اپراتروم", "request_human"),  # two letters swapped in a word with an ending («م»)
    ],
)
async def test_misspelt_and_finglish_words_are_understood(stack, text, intent):
    assert (await parse(stack, text))["intent"]["name"] == intent


async def test_a_real_word_is_not_taken_for_a_greeting(stack):
    # «سهام» (shares) is one letter from «سلام»; the speller must not read it as a greeting.
    result = await parse(stack, "قیمت سهام فولاد")
    assert result["intent"]["name"] in ("out_of_scope", "nlu_fallback")
    assert all(r["name"] != "greet" or r["confidence"] < 0.1 for r in result["intent_ranking"])


@pytest.mark.parametrize(
    "text, intent",
    [
        # «پرتال» (portal) is not in the training data; the n-grams alone read «تامین اجتماعی» as
        # the agency being named (inform), the sentence encoder knows a portal is a service.
        ("پرتال تامین اجتماعی خوابیده؟", "service_status"),
        # «کارمند زنده» (a live clerk): without the encoder, «کارمند» pulls it to file_complaint.
        ("یک کارمند زنده لطفا", "request_human"),
    ],
)
async def test_a_request_in_new_words_is_understood_by_its_meaning(stack, text, intent):
    assert (await parse(stack, text))["intent"]["name"] == intent


@pytest.mark.parametrize("text", ["", "   ", "\u200c\u200c"])
async def test_an_empty_message_falls_back(stack, text):
    # Every featurizer must give an empty message its block, or the classifier's columns no
    # longer line up with training and the parse fails (a 500 from Rasa).
    assert (await parse(stack, text))["intent"]["name"] == "nlu_fallback"


@pytest.mark.parametrize("text", ["؟؟؟", "...", "!!", "😐"])
async def test_a_message_of_marks_alone_falls_back(stack, text):
    # A confused «؟؟؟» once came out as deny (0.47), above the fallback threshold: a «no».
    result = await parse(stack, text)
    assert result["intent"]["name"] == "nlu_fallback"


@pytest.mark.parametrize(
    "text, intent", [("👍", "affirm"), ("👌🏻", "affirm"), ("👎", "deny"), ("🙏", "thank"), ("🌹🌹", "thank")]
)
async def test_an_answering_emoji_is_read_as_its_word(stack, text, intent):
    # A thumbs-up is how many older users say yes to a question; it once fell back.
    result = await parse(stack, text)
    assert result["intent"]["name"] == intent


# An older citizen's long message: greetings and the story first, the request at the end.
STORY = (
    "من یه پیرمرد هفتاد ساله هستم و توی یکی از روستاهای اطراف همدان زندگی میکنم. "
    "پسرم توی تهران کار میکنه و دخترم هم ازدواج کرده و رفته شیراز. "
    "چند ماه پیش با هزار زحمت رفتم شهر و مدارکم رو تحویل دادم، کلی هم توی صف ایستادم. "
    "اون روز هوا خیلی سرد بود و اتوبوس هم دیر اومد، تا برسم خونه شب شده بود. "
    "خانمم مریضه و نمیتونه زیاد راه بره، برای همین خودم باید همه کارها رو انجام بدم. "
    "همسایه‌مون گفت این برنامه رو نصب کنم و از اینجا بپرسم، گوشی رو هم نوه‌م برام درست کرد. "
)


@pytest.mark.parametrize(
    "request_, intent",
    [
        ("حالا میخواستم ببینم پرونده‌ام چی شد", "case_status"),
        # Read whole by the sentence encoder, the story made this out_of_scope (0.62).
        ("میخوام با یه آدم حرف بزنم نه ربات", "request_human"),
    ],
)
async def test_a_long_message_is_understood_by_its_request_at_the_end(stack, request_, intent):
    result = await parse(stack, f"سلام وقت بخیر. {STORY}{request_}")
    assert result["intent"]["name"] == intent


@pytest.mark.parametrize(
    "payload, intent, entities",
    [
        ("/request_human", "request_human", []),
        ('/inform{"service":"passport"}', "inform", [("service", "passport")]),
        # Digits in a payload are read as the normaliser reads typed ones.
        ('/inform{"tracking_code":"۱۲۳۴"}', "inform", [("tracking_code", "1234")]),
        # A button the domain does not know is not understood, never guessed from its letters.
        ("/no_such_intent", "nlu_fallback", []),
    ],
)
async def test_a_button_press_is_parsed_from_its_payload(stack, payload, intent, entities):
    # Buttons skip the speller, the encoder, the classifier and the entity extractor
    # (nlu/components/buttons.py); the payload alone decides.
    result = await parse(stack, payload)
    assert result["intent"]["name"] == intent
    assert [(e["entity"], e["value"]) for e in result["entities"]] == entities
