"""Hamyar's lock store (bot/lock_store.py): a conversation's turns one at a time in order, over two
Rasa servers, in two Redis round trips a turn; a turn retried after a Rasa server died mid-turn
gets the conversation once the dead server's ticket expires, where Rasa's own store waits for ever.
Run in the Rasa environment (tests/bot/lock_store_checks.py) against this session's Redis."""

from __future__ import annotations

import pytest

from tests.bot.lock_store_checks import GIVE_UP, LIFETIME
from tests.bot.test_tracker_store import checks_against_redis


@pytest.fixture(scope="module")
def waits(redis_server: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    return checks_against_redis("tests.bot.lock_store_checks", redis_server, tmp_path_factory.mktemp("lock_store"), 300)


def test_rasas_own_store_can_wait_for_ever_after_a_dead_holder(waits):
    # Why the store exists: with the two tickets expiring between two polls, Rasa's never serves.
    assert any(wait["waited"] is None for wait in waits["stock"]), waits["stock"]


def test_hamyars_store_serves_the_turn_once_the_dead_ticket_expires(waits):
    for wait in waits["hamyar"]:
        assert wait["waited"] is not None and wait["waited"] < LIFETIME + 1 < GIVE_UP, waits["hamyar"]
        assert not wait["lock_left"]  # the ticket it was served on is given back


def test_a_conversations_turns_run_one_at_a_time_in_the_order_they_came_across_two_servers(waits):
    result = waits["one_at_a_time"]
    assert result["overlaps"] == 0
    assert result["started"] == list(range(6))
    assert not result["lock_left"]


def test_a_turn_takes_and_gives_back_the_lock_in_two_round_trips(waits):
    # Rasa's store reads and rewrites the conversation's JSON lock about seven times a turn.
    assert waits["hamyar_round_trips"] == 2
    assert waits["stock_round_trips"] >= 6
