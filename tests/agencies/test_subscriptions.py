"""Subscriptions with a real Redis."""

from cryptography.fernet import Fernet

from agencies.sealing import Sealer
from agencies.subscriptions import SubscriptionStore


async def test_unsubscribing_stops_cases_and_announcements_and_forgets_the_unfollowed(redis):
    store = SubscriptionStore(redis, Sealer(Fernet.generate_key().decode()))
    await store.subscribe("web:a", "police", "914050820398756")
    await store.watch("police", "914050820398756", "0016383230", "در حال بررسی")
    await store.subscribe("web:a", "tamin", "7140508213457")
    await store.subscribe("web:b", "tamin", "7140508213457")
    await store.watch("tamin", "7140508213457", "0016383230", "در حال بررسی")

    assert await store.unsubscribe("web:a")
    assert await store.everyone() == {"web:b"}
    assert await store.case_subscribers("police", "914050820398756") == set()
    assert await store.case_subscribers("tamin", "7140508213457") == {"web:b"}
    # Nobody follows the police case: it is no longer watched, and its national id is gone.
    assert [(agency, code) for agency, code, _ in await store.watched()] == [("tamin", "7140508213457")]
    assert not await store.unsubscribe("web:a")  # nothing left to stop
    assert not await store.unsubscribe("web:never")

    await store.subscribe("web:a", "police", "914050820398756")  # and can subscribe again
    assert await store.case_subscribers("police", "914050820398756") == {"web:a"}
