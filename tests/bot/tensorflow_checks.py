"""Run in the Rasa environment by test_tensorflow_stand_in.py: what importing Rasa's server and
loading an agent costs with TensorFlow and with bot/tensorflow_stand_in.py's stand-ins.
``python -m tests.bot.tensorflow_checks WORKDIR [left-out]`` prints «RESULT » and JSON; each kind
runs in a process of its own (a module imported stays imported)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any, Dict


def resident_mb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        return int(status.read().split("VmRSS:")[1].split()[0]) // 1024


def one_process(left_out: bool) -> Dict[str, Any]:
    from bot.tensorflow_stand_in import TensorFlowLeftOut, leave_tensorflow_out

    installed = leave_tensorflow_out() if left_out else False
    import rasa.__main__  # noqa: F401  (what `rasa run` imports)
    import rasa.core.agent
    import rasa.core.policies.ted_policy  # noqa: F401  (a TensorFlow policy's module imports)

    asyncio.run(rasa.core.agent.load_agent())
    import tensorflow as tf

    try:
        tf.constant(1)
        refusal = None
    except TensorFlowLeftOut as error:
        refusal = str(error)
    return {
        "installed": installed,
        "again": leave_tensorflow_out() if left_out else None,
        "real": "tensorflow.python" in sys.modules,
        "jax": "jax" in sys.modules,
        "rss_mb": resident_mb(),
        "refusal": refusal,
    }


def checks() -> Dict[str, Any]:
    kinds = {}
    for kind in ("stock", "left-out"):
        done = subprocess.run(
            [sys.executable, "-m", "tests.bot.tensorflow_checks", "-", kind], capture_output=True, text=True, check=True
        )
        kinds[kind] = json.loads(done.stdout.splitlines()[-1])
    return kinds


if __name__ == "__main__":
    if len(sys.argv) > 2:
        print(json.dumps(one_process(sys.argv[2] == "left-out")))
    else:
        print("RESULT " + json.dumps(checks(), ensure_ascii=False))
