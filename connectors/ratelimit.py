"""The Bot API's limits that are the bot's, not a chat's: 30 messages a second per bot, 20 a
minute per group, and a 429's retry_after honoured (python-telegram-bot's limiter). A chat's own
pace, one message a second, is kept by its send queue (connectors/sendqueue.py), which is shared
by every gateway process."""

from __future__ import annotations

from telegram.ext import AIORateLimiter


def bot_rate_limiter(per_bot: float = 30, max_retries: int = 3) -> AIORateLimiter:
    """Waits out a 429 up to ``max_retries`` times before the send queue retries later."""
    return AIORateLimiter(overall_max_rate=per_bot, overall_time_period=1, max_retries=max_retries)
