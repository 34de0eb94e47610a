"""Run in the Rasa environment by test_tensorflow_stand_in.py: a process of that environment
importing Rasa's server and loading an agent, as every process starts there (the stand-ins put
first by the environment's ``.pth`` file, scripts/common.sh), and one that asks for the real
TensorFlow (installed by scripts/test.sh for fine-tuning).
``python -m tests.bot.tensorflow_checks WORKDIR [default|asked]`` prints «RESULT » and JSON; each
kind runs in a process of its own (a module imported stays imported)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from typing import Any, Dict

from bot.tensorflow_stand_in import ENV_USE_TENSORFLOW, StandInFinder, TensorFlowLeftOut


def resident_mb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        return int(status.read().split("VmRSS:")[1].split()[0]) // 1024


def one_process() -> Dict[str, Any]:
    stand_ins_at_start = any(isinstance(finder, StandInFinder) for finder in sys.meta_path)
    import rasa.__main__  # noqa: F401  (what `rasa run` and `rasa train` import)
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
        "stand_ins_at_start": stand_ins_at_start,
        "real": "tensorflow.python" in sys.modules,
        "jax": "jax" in sys.modules,
        "rss_mb": resident_mb(),
        "refusal": refusal,
    }


def checks() -> Dict[str, Any]:
    kinds = {}
    for kind in ("default", "asked"):
        env = {name: value for name, value in os.environ.items() if name != ENV_USE_TENSORFLOW}
        if kind == "asked":
            env[ENV_USE_TENSORFLOW] = "1"
        done = subprocess.run(
            [sys.executable, "-m", "tests.bot.tensorflow_checks", "-", kind], env=env, capture_output=True, text=True, check=True
        )
        kinds[kind] = json.loads(done.stdout.splitlines()[-1])
    return kinds


if __name__ == "__main__":
    if len(sys.argv) > 2:
        print(json.dumps(one_process()))
    else:
        print("RESULT " + json.dumps(checks(), ensure_ascii=False))
