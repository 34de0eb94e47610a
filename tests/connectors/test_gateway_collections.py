"""connectors/gateway.py: what the gateway's start-up made is left out of full garbage collections."""

from __future__ import annotations

import gc
import weakref
from typing import Iterator

import pytest
from aiohttp import web

from connectors.gateway import leave_startup_out_of_collections


class Node:
    def __init__(self) -> None:
        self.itself = self  # a cycle: only a collection frees it


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process collects its garbage as before


async def test_start_up_garbage_is_collected_and_what_lives_is_frozen(unfrozen):
    kept = [[n] for n in range(1000)]
    garbage = weakref.ref(Node())
    assert gc.get_freeze_count() == 0 and garbage() is not None
    await leave_startup_out_of_collections(web.Application())
    assert garbage() is None  # collected before the freeze, not kept for ever
    assert gc.get_freeze_count() > len(kept)  # what lives now is out of the collector's sight
