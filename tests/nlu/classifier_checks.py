"""Run in the Rasa environment by test_classifier.py: the TfidfIntentClassifier trained on sparse
n-gram counts and a dense sentence vector, saved and loaded, printed as JSON for the tests.
``python -m tests.nlu.classifier_checks WORKDIR``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

# Each message's n-gram counts (column: count) and its sentence vector.
TRAINING = [
    ("greet", {0: 1, 1: 1}, [1.0, 0.0]),
    ("greet", {0: 1, 2: 2}, [0.9, 0.1]),
    ("case_status", {3: 1, 4: 1}, [0.0, 1.0]),
    ("case_status", {4: 1, 5: 1}, [0.1, 0.9]),
    ("thank", {6: 1, 7: 1}, [0.5, 0.5]),
    ("thank", {7: 2}, [0.6, 0.4]),
]
VOCABULARY = 8
ASKED = [({0: 1, 1: 1}, [0.8, 0.2]), ({7: 1}, [0.5, 0.5])]


# The n-grams alone: sure of the first (greet's words), unsure of the second (no known word),
# whose sentence vector is case_status's; the third has greet's words too, but more words than
# any training example (each of one).
CASCADE = [({0: 1, 1: 1}, [1.0, 0.0], "پیام"), ({}, [0.05, 0.95], "پیام"), ({0: 1, 1: 1}, [0.55, 0.45], "پیام بلند")]


def vector_features(vector: list) -> Any:
    import numpy as np
    from rasa.shared.nlu.training_data.features import Features

    return Features(np.array([vector]), "sentence", "text", "SentenceEncoderFeaturizer")


class Encoder:
    """A deferred sentence encoder (nlu/components/deferred.py) that counts what it is asked."""

    def __init__(self) -> None:
        self.batches: list = []

    def featurize(self, batch: list) -> None:
        self.batches.append(len(batch))
        for message in batch:
            message.add_features(vector_features(message.get("vector")))


def messages(rows: list, encoder: Optional[Encoder] = None) -> list:
    """Messages with their counts and vectors; the vectors left pending on ``encoder`` if given."""
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message
    from scipy.sparse import coo_matrix

    from nlu.components.deferred import defer

    made = []
    for intent, counts, vector, *text in rows:
        message = Message(data={"text": text[0] if text else "پیام", **({"intent": intent} if intent else {})})
        columns = sorted(counts)
        sparse = coo_matrix(([counts[c] for c in columns], ([0] * len(columns), columns)), shape=(1, VOCABULARY))
        message.add_features(Features(sparse, "sentence", "text", "CountVectorsFeaturizer"))
        if encoder is None:
            message.add_features(vector_features(vector))
        else:
            message.set("vector", vector)
            defer(message, encoder.featurize)
        made.append(message)
    return made


def cascade(component: Any) -> dict:
    """``component`` on the CASCADE messages with their vectors deferred: what each got, and how
    many messages the encoder was asked to encode, in how many batches."""
    encoder = Encoder()
    asked = messages([(None, counts, vector, text) for counts, vector, text in CASCADE], encoder)
    component.process(asked)
    return {
        "intents": [m.get("intent")["name"] for m in asked],
        "confidences": [m.get("intent")["confidence"] for m in asked],
        "encoded": [len(m.features) == 2 for m in asked],
        "batches": encoder.batches,
    }


def main(work: Path) -> dict:
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from nlu.components.classifier import TfidfIntentClassifier, sentence_features

    storage = LocalModelStorage(work)
    context = ExecutionContext(GraphSchema({}), node_name="classifier")
    resource = Resource("classifier")
    config = {**TfidfIntentClassifier.get_default_config(), "dense_weight": 2.0}
    trained = TfidfIntentClassifier.create(config, storage, resource, context)
    trained.train(TrainingData(training_examples=messages(TRAINING)))
    loaded = TfidfIntentClassifier.load(config, storage, resource, context)
    asked = [(None, counts, vector) for counts, vector in ASKED]
    # What scikit-learn gives with the weights laid out as it leaves them (row by row).
    features = sentence_features(messages(asked), 2.0)[0]
    plain = loaded.model.named_steps["classifier"]
    layout = plain.coef_
    plain.coef_ = layout.copy(order="C")
    reference = loaded.model.predict_proba(features).tolist()
    plain.coef_ = layout
    return {
        "column_major": {
            "trained": bool(trained.model.named_steps["classifier"].coef_.flags.f_contiguous),
            "loaded": bool(layout.flags.f_contiguous),
        },
        "rankings": {
            name: [m.get("intent_ranking") for m in component.process(messages(asked))]
            for name, component in (("trained", trained), ("loaded", loaded))
        },
        # Each message parsed alone, as Rasa parses them.
        "alone": [loaded.process(messages([one]))[0].get("intent_ranking") for one in asked],
        "labels": [str(c) for c in loaded.model.classes_],
        "scorers": {"trained": trained.scorer is not None, "loaded": loaded.scorer is not None},
        # A button press between two typed messages: it has no features (nothing read it as words).
        "with_button": [
            {"intent": m.get("intent"), "ranking": m.get("intent_ranking")}
            for m in loaded.process(
                [*messages(asked[:1]), Message(data={"text": '/inform{"service":"passport"}'}), *messages(asked[1:])]
            )
        ],
        "reference": reference,
        "cascade": cascaded(storage, context, config),
    }


def cascaded(storage: Any, context: Any, config: dict) -> dict:
    """With ``sparse_confident``: trained, saved and loaded with its n-gram model; and, beside
    it, the component without one, on the same deferred messages."""
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from nlu.components.classifier import TfidfIntentClassifier

    resource = Resource("cascade")
    with_sparse = {**config, "sparse_confident": 0.5}
    TfidfIntentClassifier.create(with_sparse, storage, resource, context).train(
        TrainingData(training_examples=messages(TRAINING))
    )
    loaded = TfidfIntentClassifier.load(with_sparse, storage, resource, context)
    return {
        "sparse_loaded": loaded.sparse_model is not None,
        "with": cascade(loaded),
        "without": cascade(TfidfIntentClassifier.load(config, storage, Resource("classifier"), context)),
    }


if __name__ == "__main__":
    print("RESULT " + json.dumps(main(Path(sys.argv[1])), ensure_ascii=False))
