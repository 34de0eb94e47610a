"""Sending to a channel's API again after a transient failure: four attempts with backoff."""

from __future__ import annotations

from typing import Awaitable, Callable, TypeVar

from tenacity import AsyncRetrying, stop_after_attempt, wait_exponential
from tenacity.retry import retry_base

T = TypeVar("T")


async def retrying(send: Callable[[], Awaitable[T]], retry: retry_base, attempts: int = 4) -> T:
    """``send()``'s result, tried up to ``attempts`` times while ``retry`` says its error is
    transient (0.5 s, 1 s, 2 s… up to 8 s apart); the last error is raised."""
    async for attempt in AsyncRetrying(
        stop=stop_after_attempt(attempts), wait=wait_exponential(multiplier=0.5, max=8), retry=retry, reraise=True
    ):
        with attempt:
            return await send()
    raise AssertionError("unreachable: tenacity always makes an attempt")  # pragma: no cover
