"""actions/guides.py: a guide found by question or button, one step per message, back and forth."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.guides import ActionGuideNext, ActionGuidePrevious, ActionHowTo
from content.steps import NEXT, PREVIOUS
from tests.actions.kit import payloads, said, slots_set, text, tracker


async def run(action, conversation) -> tuple[CollectingDispatcher, dict]:
    dispatcher = CollectingDispatcher()
    return dispatcher, slots_set(await action.run(dispatcher, conversation, {}))


async def test_a_guide_chosen_by_button_starts_at_its_first_step(articles):
    guide = articles["passport-new"]
    dispatcher, slots = await run(
        ActionHowTo(), tracker('/how_to{"article_id":"passport-new"}', intent="how_to", entities={"article_id": "passport-new"})
    )
    assert said(dispatcher) == ["guide_title", "guide_step"]
    assert guide.title in text(dispatcher) and guide.steps[0] in text(dispatcher)
    assert slots == {"article_id": "passport-new", "article_step": 0.0, "last_subject": "guide:passport-new"}
    # Next says where it was shown, so that pressed late it still moves from there.
    assert f'{NEXT}{{"article_id":"passport-new","guide_step":"0"}}' in payloads(dispatcher)
    assert not any(p.startswith(PREVIOUS) for p in payloads(dispatcher))


async def test_a_question_finds_its_guide(articles):
    dispatcher, slots = await run(ActionHowTo(), tracker("چطوری پاسپورت بگیرم", intent="how_to"))
    assert slots["article_id"] == "passport-new"


async def test_the_menu_button_offers_the_common_guides_and_nonsense_finds_none(articles):
    dispatcher, _ = await run(ActionHowTo(), tracker("/how_to", intent="how_to"))
    assert said(dispatcher) == ["guide_topics"] and '/how_to{"article_id":"passport-new"}' in payloads(dispatcher)
    dispatcher, _ = await run(ActionHowTo(), tracker("قورباغه بنفش پرواز", intent="how_to"))
    assert said(dispatcher) == ["guide_not_found"]


async def test_next_and_previous_move_one_step_and_stop_at_the_ends(articles):
    guide = articles["passport-new"]
    last = len(guide.steps) - 1
    dispatcher, slots = await run(ActionGuideNext(), tracker("بعدی", slots={"article_id": guide.id, "article_step": 0.0}))
    assert slots["article_step"] == 1.0 and guide.steps[1] in text(dispatcher)
    dispatcher, slots = await run(ActionGuideNext(), tracker("بعدی", slots={"article_id": guide.id, "article_step": float(last)}))
    assert slots["article_step"] == float(last) and not any(p.startswith(NEXT) for p in payloads(dispatcher))
    dispatcher, slots = await run(ActionGuidePrevious(), tracker("قبلی", slots={"article_id": guide.id, "article_step": 1.0}))
    assert slots["article_step"] == 0.0 and guide.steps[0] in text(dispatcher)


async def test_moving_without_an_open_guide_says_so(articles):
    dispatcher, slots = await run(ActionGuideNext(), tracker("بعدی"))
    assert said(dispatcher) == ["no_guide_open"] and slots == {}
