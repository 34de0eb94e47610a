"""Run in the Rasa environment by test_serve.py: what a full garbage collection costs in a process
that has imported Rasa and loaded an agent, before and after bot/serve.py's ``gc.freeze`` on load.
``python -m tests.bot.gc_checks WORKDIR`` prints «RESULT » and JSON."""

from __future__ import annotations

import asyncio
import gc
import json
import time
from typing import Any, Dict


def full_collection_ms() -> float:
    started = time.perf_counter()
    gc.collect()
    return (time.perf_counter() - started) * 1000


def checks() -> Dict[str, Any]:
    import rasa.core.agent

    from bot.serve import loaded_model_left_out_of_garbage_collection

    asyncio.run(rasa.core.agent.load_agent())  # Rasa's own: no model, everything Rasa imports
    stock = {"frozen": gc.get_freeze_count(), "ms": full_collection_ms()}
    loaded_model_left_out_of_garbage_collection()
    patched_load = rasa.core.agent.load_agent
    loaded_model_left_out_of_garbage_collection()  # a second start wraps nothing twice
    asyncio.run(rasa.core.agent.load_agent())
    patched = {"frozen": gc.get_freeze_count(), "ms": full_collection_ms()}
    return {
        "stock": stock,
        "patched": patched,
        "wrapped_once": rasa.core.agent.load_agent is patched_load and getattr(patched_load, "hamyar", False),
    }


if __name__ == "__main__":
    print("RESULT " + json.dumps(checks(), ensure_ascii=False))
