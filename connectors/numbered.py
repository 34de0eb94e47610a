"""Options as a numbered list, for sources without buttons (SMS and some bridges).

The last list shown in a conversation is kept in Redis; a reply that is just one of its numbers
(in any digit script) is taken as that button.
"""

from __future__ import annotations

import json
import re
from typing import Optional

import redis.asyncio as aioredis

from connectors.models import OutboundMessage
from nlu.persian import normalize, persian_digits

TTL_SECONDS = 24 * 3600
# An option's number: at most three decimal digits. ``\d`` is Unicode's decimal digits (Nd), which
# ``int`` reads in any script; ``str.isdigit`` also accepts «²» and «①», which ``int`` refuses, and
# any length, which ``int`` refuses past 4,300 digits.
_OPTION = re.compile(r"\d{1,3}")


def _key(conversation_id: str) -> str:
    return f"hamyar:numbered:{conversation_id}"


def numbered_text(message: OutboundMessage, hint: str) -> str:
    """The text with its buttons as «۱. ...» lines and a hint to answer with the number."""
    if not message.buttons:
        return message.text
    lines = [f"{persian_digits(i)}. {b.title}" for i, b in enumerate(message.buttons, start=1)]
    return "\n".join(part for part in (message.text, *lines, hint) if part)


def option_number(text: Optional[str]) -> Optional[int]:
    """The number an answer is, when it is nothing but a short number (any digit script)."""
    answer = normalize(text or "").strip(" .")
    return int(answer) if _OPTION.fullmatch(answer) else None


class NumberedOptions:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis

    async def remember(self, conversation_id: str, messages: list[OutboundMessage]) -> None:
        """The options of the last message that has any become the numbers the citizen can send."""
        with_buttons = [m for m in messages if m.buttons]
        if not with_buttons:
            return
        ids = [b.id for b in with_buttons[-1].buttons]
        await self._redis.set(_key(conversation_id), json.dumps(ids), ex=TTL_SECONDS)

    async def button_for(self, conversation_id: str, text: Optional[str]) -> Optional[str]:
        """The button id an answer of just an option's number picks; None for any other text,
        which then goes on as typed words («²» or a 5,000-digit number included)."""
        number = option_number(text)
        if number is None:
            return None
        raw = await self._redis.get(_key(conversation_id))
        ids = json.loads(raw) if raw else []
        return ids[number - 1] if 1 <= number <= len(ids) else None
