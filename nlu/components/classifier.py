"""Intent classifier: TF-IDF weighting of each featurizer's counts, then logistic regression.

Rasa's own LogisticRegressionClassifier fits raw counts with a fixed regularisation. Weighting
each featurizer's block (words, character n-grams) with sublinear TF-IDF and its own norm, and
a weaker regularisation, is measured better (bench/REPORT.md). config.yml sets
C=100 and the fallback threshold 0.3, both chosen by 5-fold cross-validation of the training
data (in-scope accuracy and off-topic messages caught), not on the held-out set. Saved with
skops (no pickle), like Rasa's own.

A message without a letter or a digit («؟؟؟», «...») gets no intent and confidence 0, so the
FallbackClassifier answers it as not understood.

A dense sentence vector (SentenceEncoderFeaturizer) joins the n-gram blocks unweighted by TF-IDF,
scaled by ``dense_weight``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Text, Tuple, Type

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix, hstack, vstack
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from nlu.components.buttons import is_button
from nlu.persian import has_words

TRUSTED = [
    "sklearn.pipeline.Pipeline",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.compose._column_transformer.ColumnTransformer",
    "scipy.sparse._csr.csr_matrix",  # the idf weights
    "builtins.slice",
]


@dataclass(frozen=True)
class Block:
    """One featurizer's sentence features: how many columns, and whether they are dense."""

    width: int
    dense: bool


def build_model(config: Dict[Text, Any], blocks: List[Block]) -> Pipeline:
    """One TF-IDF per sparse featurizer block, so each is normalised on its own; dense blocks
    (sentence vectors, already normalised and weighted) pass through as they are."""
    columns, start = [], 0
    for index, block in enumerate(blocks):
        step = "passthrough" if block.dense else TfidfTransformer(sublinear_tf=config["sublinear_tf"])
        columns.append((f"block{index}", step, slice(start, start + block.width)))
        start += block.width
    return Pipeline(
        [
            ("tfidf", ColumnTransformer(columns, sparse_threshold=1.0)),
            (
                "classifier",
                LogisticRegression(
                    C=config["C"],
                    max_iter=config["max_iter"],
                    class_weight="balanced",
                    random_state=config["random_state"],
                    solver="lbfgs",
                ),
            ),
        ]
    )


def ready_for_sparse_rows(model: Pipeline) -> Pipeline:
    """``model`` with its weights laid out column by column, so scoring a sparse row costs its few
    non-zero features, not a copy of the whole weight matrix.

    Logistic regression scores ``rows @ coef_.T``; scipy multiplies a sparse matrix in place only
    by a row-major dense one, and ``coef_.T`` of a row-major ``coef_`` is not, so it copied all of
    it (intents × n-gram vocabulary) at every parse, a large share of its time (bench/REPORT.md).
    Same numbers, bit for bit.
    """
    classifier = model.named_steps["classifier"]
    classifier.coef_ = np.asfortranarray(classifier.coef_)
    return model


def sentence_blocks(message: Message, dense_weight: float) -> List[Tuple[Block, csr_matrix]]:
    """Each featurizer's sentence-level features of a message, in a fixed order (by featurizer).

    Dense vectors are multiplied by ``dense_weight``: a TF-IDF block has norm 1, so the weight is
    how much the sentence vector counts beside each n-gram block."""
    features = [f for f in message.features if f.attribute == TEXT and f.type == "sentence"]
    blocks = []
    for feature in sorted(features, key=lambda f: str(f.origin)):
        dense = not feature.is_sparse()
        matrix = csr_matrix(feature.features * dense_weight if dense else feature.features)
        blocks.append((Block(matrix.shape[1], dense), matrix))
    return blocks


def sentence_features(messages: List[Message], dense_weight: float = 1.0) -> Tuple[csr_matrix, List[Block]]:
    """One row per message, the featurizers' blocks side by side, and the blocks' shapes."""
    rows = [sentence_blocks(m, dense_weight) for m in messages]
    return vstack([hstack([matrix for _, matrix in row]) for row in rows]).tocsr(), [block for block, _ in rows[0]]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TfidfIntentClassifier(IntentClassifier, GraphComponent):
    @classmethod
    def required_components(cls) -> List[Type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"C": 10.0, "dense_weight": 1.0, "sublinear_tf": True, "max_iter": 2000, "random_state": 42, "ranking_length": 10}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource) -> None:
        self.config = {**self.get_default_config(), **config}
        self.model: Optional[Pipeline] = None
        self._model_storage = model_storage
        self._resource = resource

    @classmethod
    def create(
        cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext
    ) -> "TfidfIntentClassifier":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            return self._resource
        features, blocks = sentence_features(examples, self.config["dense_weight"])
        self.model = build_model(self.config, blocks)
        ready_for_sparse_rows(self.model.fit(features, [e.get(INTENT) for e in examples]))
        self.persist()
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if is_button(message):
                # No intent of its own, so the FallbackClassifier leaves it to RegexMessageHandler:
                # the button's intent if the domain knows it, not understood if not.
                message.set(INTENT, {"name": None, "confidence": 0.0}, add_to_output=True)
                message.set("intent_ranking", [], add_to_output=True)
        typed = [m for m in messages if not is_button(m)]
        if not typed or self.model is None:
            return messages
        probabilities = self.model.predict_proba(sentence_features(typed, self.config["dense_weight"])[0])
        labels = self.model.classes_
        for message, row in zip(typed, probabilities):
            if not has_words(message.get(TEXT) or ""):
                # Nothing to read: no intent, so the FallbackClassifier asks the citizen again.
                message.set(INTENT, {"name": None, "confidence": 0.0}, add_to_output=True)
                message.set("intent_ranking", [], add_to_output=True)
                continue
            ranking = sorted(
                ({"name": str(n), "confidence": float(p)} for n, p in zip(labels, row)), key=lambda r: -r["confidence"]
            )
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking[: self.config["ranking_length"] or None], add_to_output=True)
        return messages

    def persist(self) -> None:
        import skops.io as sio

        with self._model_storage.write_to(self._resource) as directory:
            sio.dump(self.model, directory / "classifier.skops")

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "TfidfIntentClassifier":
        import skops.io as sio

        component = cls(config, model_storage, resource)
        with model_storage.read_from(resource) as directory:
            path = directory / "classifier.skops"
            untrusted = [t for t in sio.get_untrusted_types(file=path) if t not in TRUSTED]
            if untrusted:
                # Refuse to load rather than run a model that predicts nothing.
                raise ValueError(f"unexpected types in the saved intent classifier: {untrusted}")
            component.model = ready_for_sparse_rows(sio.load(path, trusted=TRUSTED))
        return component
