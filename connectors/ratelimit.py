"""Outbound limits for Telegram-compatible bots: 30 messages a second per bot, one a second per
chat, and a 429's retry_after honoured. python-telegram-bot's limiter has no per-chat limit."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Coroutine

from aiolimiter import AsyncLimiter
from telegram.ext import AIORateLimiter


class ChatLimiters:
    """A limiter a chat (``per_chat`` messages a second), kept for the ``max_chats`` most recent."""

    def __init__(self, per_chat: float = 1, max_chats: int = 10000) -> None:
        self._per_chat = per_chat
        self._max_chats = max_chats
        self._chats: "OrderedDict[str, AsyncLimiter]" = OrderedDict()

    def __call__(self, chat_id: str) -> AsyncLimiter:
        limiter = self._chats.pop(chat_id, None) or AsyncLimiter(self._per_chat, 1)
        self._chats[chat_id] = limiter
        while len(self._chats) > self._max_chats:
            self._chats.popitem(last=False)
        return limiter


class ChatRateLimiter(AIORateLimiter):
    def __init__(self, per_bot: float = 30, per_chat: float = 1, max_retries: int = 3, max_chats: int = 10000) -> None:
        super().__init__(overall_max_rate=per_bot, overall_time_period=1, max_retries=max_retries)
        self._chat_limiter = ChatLimiters(per_chat, max_chats)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        chat_id = data.get("chat_id")
        if chat_id is None:
            return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
        async with self._chat_limiter(str(chat_id)):
            return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
