"""The actions' shared runtime pointed at a real Redis and the real sandbox agency."""

from __future__ import annotations

from typing import AsyncIterator

import aiohttp
import pytest
from cryptography.fernet import Fernet

from actions import runtime as runtime_module
from actions.runtime import runtime
from content.loader import load_articles


class Live:
    """The sandbox the actions call, and its SMS outbox (the codes a citizen would receive)."""

    def __init__(self, base: str, tokens: dict[str, str]) -> None:
        self.base = base
        self.tokens = tokens

    async def last_code(self, phone: str) -> str:
        headers = {"Authorization": f"Bearer {self.tokens['SMS_TOKEN']}"}
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{self.base}/sms/v1/outbox", params={"to": phone}, headers=headers) as response:
                messages = (await response.json())["messages"]
        assert messages, "no SMS was sent"
        return next(word for word in messages[-1]["text"].split() if word.isdigit())

    async def mode(self, target: str, mode: str) -> None:
        async with aiohttp.ClientSession() as session:
            body = {"target": target, "mode": mode}
            async with session.post(
                f"{self.base}/_control/mode", json=body, headers={"X-Sandbox-Control": "control"}
            ) as response:
                assert response.status == 200


@pytest.fixture
async def live(redis, redis_server, sandbox, tokens, monkeypatch) -> AsyncIterator[Live]:
    base, _ = sandbox
    endpoints = {f"{name.upper()}_URL": f"{base}/{name}" for name in ("identity", "sms")}
    endpoints |= {f"AGENCY_{name.upper()}_URL": f"{base}/{name}" for name in ("tamin", "sabt", "police")}
    for name, value in {
        **tokens,
        **endpoints,
        "REDIS_URL": redis_server,
        "HAMYAR_DATA_KEY": Fernet.generate_key().decode(),
        "SMS_COOLDOWN_SECONDS": "0",
    }.items():
        monkeypatch.setenv(name, value)
    runtime_module.runtime.cache_clear()
    yield Live(base, tokens)
    await runtime_module.runtime().redis.aclose()
    runtime_module.runtime.cache_clear()


@pytest.fixture
async def articles(live) -> dict:
    published = load_articles()
    await runtime().content.publish(published)
    return {a.id: a for a in published}
