"""Run in the Rasa environment by test_ngrams.py: Rasa's CountVectorsFeaturizer and
SentenceCountsFeaturizer (nlu/components/ngrams.py) trained on the same messages, word and
character n-grams, and the features each gives new messages, printed as JSON.
``python -m tests.nlu.ngrams_checks WORKDIR``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

TRAINING = [
    ("سلام وقت بخیر", "greet"),
    ("پرونده من کجاست", "case_status"),
    ("وضعیت پرونده من چیست", "case_status"),
    ("سامانه ثبت احوال کار میکنه", "service_status"),
    ("با اپراتور صحبت کنم", "request_human"),
    ("ممنون", "thank"),
]
# New messages: words seen and unseen, one word, and a word no n-gram of the training data has.
ASKED = ["سلام پرونده من", "سامانه کار نمیکنه", "ممنون", "ژ"]
CONFIGS = {
    "word": {"analyzer": "word", "min_ngram": 1, "max_ngram": 2},
    "char": {"analyzer": "char_wb", "min_ngram": 2, "max_ngram": 5},
}


def tokenized(messages: list) -> list:
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer

    context = ExecutionContext(GraphSchema({}), node_name="tokenizer")
    tokenizer = WhitespaceTokenizer.create(WhitespaceTokenizer.get_default_config(), None, None, context)  # type: ignore[arg-type]
    return tokenizer.process(messages)


def features(component_class, work: Path, name: str, config: dict) -> dict:
    """Each asked message's features from a featurizer trained, saved and loaded: the sentence
    counts as {column: count} and how many sequence rows it has (None: no sequence features)."""
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    (work / name).mkdir()
    storage = LocalModelStorage(work / name)
    context = ExecutionContext(GraphSchema({}), node_name=name)
    resource = Resource(name)
    config = {**component_class.get_default_config(), **config}
    examples = tokenized([Message.build(text=text, intent=intent) for text, intent in TRAINING])
    trained = component_class.create(config, storage, resource, context)
    trained.train(TrainingData(training_examples=examples))
    loaded = component_class.load(config, storage, resource, context)
    out = {}
    for text in ASKED:
        message = tokenized([Message.build(text=text)])[0]
        loaded.process([message])
        sequence, sentence = message.get_sparse_features("text")
        out[text] = {
            "sentence": {str(c): float(v) for c, v in zip(sentence.features.col, sentence.features.data)} if sentence else None,
            "sequence_rows": sequence.features.shape[0] if sequence else None,
        }
    return out


def main(work: Path) -> dict:
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer

    from nlu.components.ngrams import SentenceCountsFeaturizer

    return {
        kind: {
            "rasa": features(CountVectorsFeaturizer, work, f"rasa-{kind}", config),
            "own": features(SentenceCountsFeaturizer, work, f"own-{kind}", config),
        }
        for kind, config in CONFIGS.items()
    }


if __name__ == "__main__":
    print("RESULT " + json.dumps(main(Path(sys.argv[1])), ensure_ascii=False))
