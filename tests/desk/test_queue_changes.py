"""Every change of the queue is announced on its pub/sub channel, so open desk pages refresh."""

from __future__ import annotations

from datetime import datetime, timezone

from desk.desk_config import DeskConfig
from desk.queue import CHANGES, HandoffQueue, QueueItem

CONFIG = DeskConfig.model_validate({"office_hours": {"saturday": {"open": "08:00", "close": "16:00"}}})
NOW = datetime(2026, 4, 25, 6, 0, tzinfo=timezone.utc)


async def test_each_change_is_announced_and_nothing_else(redis, sealer):
    queue = HandoffQueue(redis, CONFIG, clock=lambda: NOW, sealer=sealer)
    async with redis.pubsub() as pubsub:
        await pubsub.subscribe(CHANGES)
        assert (await pubsub.get_message(timeout=10))["type"] == "subscribe"
        item = QueueItem("web:1", "web", "sabt", "request", NOW)
        await queue.enqueue(item)
        await queue.enqueue(item)  # already waiting: no change
        await queue.append_message("web:1", "سلام")
        await queue.append_message("web:unknown", "سلام")
        await queue.take("web:1", "7", capacity=1)
        await queue.take("web:1", "8", capacity=1)  # lost the race: no change
        await queue.release("web:1")
        await queue.release("web:1")
        await queue.enqueue(QueueItem("web:2", "web", "sabt", "request", NOW))
        await queue.cancel("web:2")
        await queue.cancel("web:2")
        await redis.publish(CHANGES, "end")  # a marker: everything before it has arrived
        seen = []
        while not seen or seen[-1] != "end":
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=10)
            assert message is not None, seen
            seen.append(message["data"])
    assert seen == ["enqueue", "message", "take", "release", "enqueue", "cancel", "end"]
