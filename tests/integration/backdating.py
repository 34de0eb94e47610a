"""Time passing without waiting: a conversation's stored events moved back in time, or gone as
their expiry would make them (bot/tracker_store.py's keys in the stack's Redis)."""

from __future__ import annotations

import json

import redis

PREFIX = "rasa:tracker"


def _shifted(row: dict, seconds: float) -> dict:
    return {**row, "timestamp": row["timestamp"] - seconds} if isinstance(row.get("timestamp"), (int, float)) else row


def back_date(redis_url: str, conversation_id: str, seconds: float) -> None:
    """Every stored event of the conversation ``seconds`` older, as if the citizen had been quiet
    that long: Rasa starts a new session at the next message. The store's fingerprints of the
    last events (``tail``) and a window's saved slots move with them."""
    store = redis.Redis.from_url(redis_url, decode_responses=True)
    events, meta = f"{PREFIX}:{conversation_id}", f"{PREFIX}-meta:{conversation_id}"
    rows = [_shifted(json.loads(row), seconds) for row in store.lrange(events, 0, -1)]
    assert rows, f"no stored events for {conversation_id}"
    tail = [f"{row.get('event')}@{row.get('timestamp')!r}" for row in rows[-3:]]  # tracker_store.fingerprint
    marks = {
        field: json.dumps([_shifted(row, seconds) for row in json.loads(value)])
        for field, value in store.hgetall(meta).items()
        if field.startswith("at:")
    }
    left = store.pttl(events)
    with store.pipeline(transaction=True) as pipe:
        pipe.delete(events).rpush(events, *(json.dumps(row) for row in rows))
        pipe.hset(meta, mapping={"tail": json.dumps(tail), **marks})
        if left > 0:
            pipe.pexpire(events, left)
        pipe.execute()


def expire(redis_url: str, conversation_id: str) -> None:
    """The conversation's tracker gone, as its expiry (a day, TRACKER_EXPIRY_SECONDS) makes it."""
    store = redis.Redis.from_url(redis_url, decode_responses=True)
    store.delete(*(f"{PREFIX}{kind}:{conversation_id}" for kind in ("", "-meta", "-marks")))
