"""Run in the Rasa environment by test_speller.py: the PersianSpeller component trained, saved,
loaded and asked for the training data, printed as JSON for the tests to assert on.
``python -m tests.nlu.speller_checks WORKDIR``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

TRAINING = [
    ("سلام وقت بخیر", "greet", []),
    ("پرونده 1403123456 من کجاست", "case_status", [{"start": 7, "end": 17, "value": "1403123456", "entity": "tracking_code"}]),
    ("وضعیت پرونده من", "case_status", []),
    ("با اپراتور صحبت کنم", "request_human", []),
    ("نه", "deny", []),
    ("پشتیبانی", "request_human", []),
]
# Every slip of «پشتیبانی» is made a real word: the speller keeps them all as typed.
KEPT = "پشتیبانی"
# Real words the training data lacks, for a speller that reads slips of unknown words as them.
REAL = ["اعتقاد", "رفیق", "اعتبار"]
# Typed by a citizen: slips of those words and a word of the list typed right.
TYPED = ["اعتقدا", "رفییق", "اعتبا", "اعتبار", "پرونده", "پروندهه"]


def trained(work: Path, name: str, data, **config):
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    from nlu.components.speller import PersianSpeller

    (work / name).mkdir()
    storage = LocalModelStorage(work / name)
    context = ExecutionContext(GraphSchema({}), node_name=name)
    resource = Resource(name)
    config = {**PersianSpeller.get_default_config(), **config}
    PersianSpeller.create(config, storage, resource, context).train(data)
    return PersianSpeller.load(config, storage, resource, context)


def tokenized(examples: list):
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from rasa.shared.nlu.training_data.training_data import TrainingData

    context = ExecutionContext(GraphSchema({}), node_name="tokenizer")
    tokenizer = WhitespaceTokenizer.create(WhitespaceTokenizer.get_default_config(), None, None, context)  # type: ignore[arg-type]
    return tokenizer.process_training_data(TrainingData(training_examples=examples))


def real_words(work: Path) -> dict:
    """Trained with a word list and ``real_margin``, saved and loaded: how it reads what citizens
    typed, and its word scores beside the encoder file's own."""
    from rasa.shared.nlu.training_data.message import Message

    from nlu.e5 import E5File

    lexicon = work / "real.dic"
    lexicon.write_text(f"{len(REAL)}\n" + "\n".join(REAL) + "\n", encoding="utf-8")
    data = tokenized([Message(data={"text": t, "intent": i, "entities": e}) for t, i, e in TRAINING])
    read = {}
    for margin in (None, 0.0, 30.0):
        speller = trained(work, f"real{margin}", data, lexicon=str(lexicon), real_margin=margin).speller
        read[str(margin)] = [speller.correct(w) for w in TYPED]
    e5 = E5File.read()
    words = [*REAL, *TYPED, "وضعیت‌ها"]
    return {"read": read, "scores": [[speller.log_prob(w), e5.word_log_prob(w)] for w in words]}


def run(work: Path, name: str, copies: int) -> list[dict]:
    from rasa.shared.nlu.training_data.message import Message

    from nlu.spelling import one_edit_away

    words = sorted(one_edit_away(KEPT))
    lexicon = work / "lexicon.dic"
    lexicon.write_text(f"{len(words)}\n" + "\n".join(words) + "\n", encoding="utf-8")
    data = tokenized([Message(data={"text": t, "intent": i, "entities": e}) for t, i, e in TRAINING])
    speller = trained(work, name, data, lexicon=str(lexicon), slipped_copies=copies)
    return [
        {
            "text": m.get("text"),
            "intent": m.get("intent"),
            "entities": m.get("entities") or [],
            "tokens": [[t.text, t.start, t.end, t.lemma] for t in m.get("text_tokens")],
            "read": speller.speller.correct_sentence([t.text for t in m.get("text_tokens")]),
        }
        for m in speller.process_training_data(data).training_examples
    ]


def main(work: Path) -> dict:
    return {
        "none": run(work, "none", 0),
        "three": run(work, "three", 3),
        "again": run(work, "again", 3),
        "real": real_words(work),
    }


if __name__ == "__main__":
    print("RESULT " + json.dumps(main(Path(sys.argv[1])), ensure_ascii=False))
