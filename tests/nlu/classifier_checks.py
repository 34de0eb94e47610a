"""Run in the Rasa environment by test_classifier.py: the TfidfIntentClassifier trained on sparse
n-gram counts and a dense sentence vector, saved and loaded, printed as JSON for the tests.
``python -m tests.nlu.classifier_checks WORKDIR``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

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


def messages(rows: list) -> list:
    import numpy as np
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message
    from scipy.sparse import coo_matrix

    made = []
    for intent, counts, vector in rows:
        message = Message(data={"text": "پیام", **({"intent": intent} if intent else {})})
        columns = sorted(counts)
        sparse = coo_matrix(([counts[c] for c in columns], ([0] * len(columns), columns)), shape=(1, VOCABULARY))
        message.add_features(Features(sparse, "sentence", "text", "CountVectorsFeaturizer"))
        message.add_features(Features(np.array([vector]), "sentence", "text", "SentenceEncoderFeaturizer"))
        made.append(message)
    return made


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
        "labels": [str(c) for c in loaded.model.classes_],
        # A button press between two typed messages: it has no features (nothing read it as words).
        "with_button": [
            {"intent": m.get("intent"), "ranking": m.get("intent_ranking")}
            for m in loaded.process(
                [*messages(asked[:1]), Message(data={"text": '/inform{"service":"passport"}'}), *messages(asked[1:])]
            )
        ],
        "reference": reference,
    }


if __name__ == "__main__":
    print("RESULT " + json.dumps(main(Path(sys.argv[1])), ensure_ascii=False))
