"""python-telegram-bot's limiter for what it does well: 20 messages a minute per group and a 429's
retry_after honoured. A chat's pace (one message a second) and the bot's limit (30 a second) are
kept by the send queues (connectors/sendqueue.py) in Redis, shared by every gateway process."""

from __future__ import annotations

from telegram.ext import AIORateLimiter


def bot_rate_limiter(max_retries: int = 3) -> AIORateLimiter:
    """Waits out a 429 up to ``max_retries`` times before the send queue retries later."""
    return AIORateLimiter(overall_max_rate=0, max_retries=max_retries)  # 0: the bot's limit is kept in Redis
