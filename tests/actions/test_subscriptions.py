"""actions/subscriptions.py: «خبرم کن» follows the case just shown; «دیگر خبر نده» stops."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.runtime import runtime
from actions.subscriptions import ActionSubscribeCase, ActionUnsubscribe
from agencies.subscriptions import SubscriptionStore
from tests.actions.kit import said, tracker

CASE = "tamin:7140508213457:در حال بررسی"


async def run(action, conversation) -> list[str]:
    dispatcher = CollectingDispatcher()
    assert await action.run(dispatcher, conversation, {}) == []
    return said(dispatcher)


async def test_nothing_to_follow_without_a_case_shown(live):
    assert await run(ActionSubscribeCase(), tracker("خبرم کن")) == ["subscribe_nothing"]


async def test_a_case_is_followed_only_for_the_proved_identity(live):
    conversation = tracker("خبرم کن", slots={"last_case": CASE})
    assert await run(ActionSubscribeCase(), conversation) == ["subscribe_nothing"]  # nothing proved
    await runtime().verified.prove(conversation, "0016383230", "09121000101")
    assert await run(ActionSubscribeCase(), conversation) == ["subscribed"]
    store = SubscriptionStore(runtime().redis)
    assert await store.follows(conversation.sender_id, "tamin", "7140508213457")


async def test_unsubscribing_stops_the_news_once(live):
    conversation = tracker("دیگر خبر نده", slots={"last_case": CASE})
    await SubscriptionStore(runtime().redis).subscribe(conversation.sender_id, "tamin", "7140508213457")
    assert await run(ActionUnsubscribe(), conversation) == ["unsubscribed"]
    assert not await SubscriptionStore(runtime().redis).follows(conversation.sender_id, "tamin", "7140508213457")
    assert await run(ActionUnsubscribe(), conversation) == ["unsubscribe_nothing"]


def test_the_case_last_shown_reads_with_its_status_and_from_before_it_was_kept():
    from actions.common import last_case

    shown = tracker("خبرم کن", slots={"last_case": "tamin:7140508305519:waiting_for_citizen:منتظر مدرک: فیش"})
    assert last_case(shown) == ("tamin", "7140508305519", "waiting_for_citizen", "منتظر مدرک: فیش")
    assert last_case(tracker("خبرم کن", slots={"last_case": CASE})) == ("tamin", "7140508213457", "", "در حال بررسی")
    assert last_case(tracker("خبرم کن")) == ("", "", "", "")
