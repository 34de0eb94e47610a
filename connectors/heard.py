"""Voice in, confirmed: what the recogniser heard is shown to the citizen and acted on only once
they agree.

Whisper base gets most Persian words wrong (docs/voice.md, "Voice in"): words taken as said would
send a citizen down the wrong path. So the gateway answers «این را شنیدم: «…». درست است؟» and keeps
the words in Redis for ``PENDING_SECONDS``, keyed by the conversation and with nothing else.
«بله، همین» sends them on as if typed; «نه، می‌نویسم» asks for them in writing. Either takes them
out, so a second press finds nothing.
"""

from __future__ import annotations

from typing import Optional

import redis.asyncio as aioredis

from content.replies import Replies

YES, NO = "/heard_yes", "/heard_no"
PAYLOADS = (YES, NO)
PENDING_SECONDS = 5 * 60


def _key(conversation_id: str) -> str:
    return f"hamyar:heard:{conversation_id}"


class Confirmation:
    def __init__(self, redis: aioredis.Redis, replies: Replies) -> None:
        self._redis = redis
        self._replies = replies

    async def ask(self, conversation_id: str, words: str) -> dict:
        """Keep ``words`` for the citizen's answer; the question (text, buttons) to send."""
        await self._redis.set(_key(conversation_id), words, ex=PENDING_SECONDS)
        return self._replies.render("heard_confirm", heard=words)

    async def take(self, conversation_id: str) -> Optional[str]:
        """The words waiting for the citizen's answer, now forgotten; None when none wait."""
        words: Optional[str] = await self._redis.getdel(_key(conversation_id))
        return words

    async def answer(self, conversation_id: str, payload: str) -> tuple[Optional[str], Optional[str]]:
        """For a press of YES or NO: (the words to go on with as if typed, None), or (None, the
        reply to send instead: type please, or the words are gone)."""
        words = await self.take(conversation_id)
        if payload == NO:
            return None, "heard_type_please"
        return (words, None) if words else (None, "heard_gone")
