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

With ``sparse_confident`` set, a second model is trained on the n-gram blocks alone, and a message
it gives at least that confidence takes its answer: the sentence encoder, deferred on the message
(nlu/components/deferred.py), runs only for the others. A message longer than every training
example always goes to the full model: the n-grams read a long story whole, and their confidence
there is not what it was measured to be (the encoder reads its two ends, where the request is).
config.yml's 0.9 was chosen by 5-fold cross-validation of nlu/data (bench/REPORT.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Text, Tuple, Type, Union

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
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
from nlu.components.deferred import complete
from nlu.components.scoring import Scorer
from nlu.persian import has_words

TRUSTED = [
    "sklearn.pipeline.Pipeline",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.compose._column_transformer.ColumnTransformer",
    "scipy.sparse._csr.csr_matrix",  # the idf weights
    "builtins.slice",
]
SPARSE_FILE = "classifier_sparse.skops"
LONGEST_FILE = "classifier_sparse_longest.json"


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


def sentence_blocks(
    message: Message, dense_weight: float, sparse_only: bool = False, dense_as_arrays: bool = False
) -> List[Tuple[Block, Union[csr_matrix, np.ndarray]]]:
    """Each featurizer's sentence-level features of a message, in a fixed order (by featurizer);
    only the sparse ones (the n-grams) with ``sparse_only``.

    Dense vectors are multiplied by ``dense_weight``: a TF-IDF block has norm 1, so the weight is
    how much the sentence vector counts beside each n-gram block. They stay arrays with
    ``dense_as_arrays`` (for the scorer), else become sparse matrices (to stack with the rest)."""
    features = [
        f for f in message.features if f.attribute == TEXT and f.type == "sentence" and not (sparse_only and not f.is_sparse())
    ]
    blocks = []
    for feature in sorted(features, key=lambda f: str(f.origin)):
        dense = not feature.is_sparse()
        if dense and dense_as_arrays:
            matrix = np.asarray(feature.features * dense_weight, dtype=np.float64)
        else:
            matrix = csr_matrix(feature.features * dense_weight if dense else feature.features)
        blocks.append((Block(matrix.shape[1], dense), matrix))
    return blocks


def words(message: Message) -> int:
    """How many tokens the message has (the tokenizer's; its words if it has none)."""
    tokens = message.get(TOKENS_NAMES[TEXT])
    return len(tokens) if tokens is not None else len((message.get(TEXT) or "").split())


def sentence_features(
    messages: List[Message], dense_weight: float = 1.0, sparse_only: bool = False
) -> Tuple[csr_matrix, List[Block]]:
    """One row per message, the featurizers' blocks side by side, and the blocks' shapes."""
    rows = [sentence_blocks(m, dense_weight, sparse_only) for m in messages]
    return vstack([hstack([matrix for _, matrix in row]) for row in rows]).tocsr(), [block for block, _ in rows[0]]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TfidfIntentClassifier(IntentClassifier, GraphComponent):
    @classmethod
    def required_components(cls) -> List[Type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "C": 10.0,
            "dense_weight": 1.0,
            "sublinear_tf": True,
            "max_iter": 2000,
            "random_state": 42,
            "ranking_length": 10,
            "sparse_confident": None,
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource) -> None:
        self.config = {**self.get_default_config(), **config}
        self.model: Optional[Pipeline] = None
        # The n-grams alone, asked first when ``sparse_confident`` is set, for a message of at
        # most ``sparse_longest`` tokens (the longest training example).
        self.sparse_model: Optional[Pipeline] = None
        self.sparse_longest = 0
        # Each model's arithmetic without scikit-learn's per-call machinery (scoring.py), made
        # where a model is trained or loaded.
        self.scorer: Optional[Scorer] = None
        self.sparse_scorer: Optional[Scorer] = None
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
        intents = [e.get(INTENT) for e in examples]
        features, blocks = sentence_features(examples, self.config["dense_weight"])
        self.model = build_model(self.config, blocks)
        ready_for_sparse_rows(self.model.fit(features, intents))
        if self.config["sparse_confident"] is not None:
            sparse, sparse_blocks = sentence_features(examples, sparse_only=True)
            self.sparse_model = ready_for_sparse_rows(build_model(self.config, sparse_blocks).fit(sparse, intents))
            self.sparse_longest = max(words(e) for e in examples)
        self._make_scorers()
        self.persist()
        return self._resource

    def _make_scorers(self) -> None:
        self.scorer = Scorer.of(self.model) if self.model is not None else None
        self.sparse_scorer = Scorer.of(self.sparse_model) if self.sparse_model is not None else None

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if is_button(message) or not has_words(message.get(TEXT) or ""):
                # A button press has no intent of its own, so the FallbackClassifier leaves it to
                # RegexMessageHandler: the button's intent if the domain knows it, not understood
                # if not. A message with nothing to read is not understood: the citizen is asked again.
                message.set(INTENT, {"name": None, "confidence": 0.0}, add_to_output=True)
                message.set("intent_ranking", [], add_to_output=True)
        typed = [m for m in messages if not is_button(m) and has_words(m.get(TEXT) or "")]
        if not typed or self.model is None:
            return messages
        unsure = typed
        threshold = self.config["sparse_confident"]
        short = [m for m in typed if words(m) <= self.sparse_longest]
        if self.sparse_model is not None and threshold is not None and short:
            rows = self._probabilities(self.sparse_model, self.sparse_scorer, short, sparse_only=True)
            sure = {id(m) for m, row in zip(short, rows) if row.max() >= threshold}
            unsure = [m for m in typed if id(m) not in sure]
            for message, row in zip(short, rows):
                if id(message) in sure:
                    self._rank(message, self.sparse_model.classes_, row)
        if unsure:
            complete(unsure)  # the features left pending, the sentence vector among them
            for message, row in zip(unsure, self._probabilities(self.model, self.scorer, unsure)):
                self._rank(message, self.model.classes_, row)
        return messages

    def _probabilities(
        self, model: Pipeline, scorer: Optional[Scorer], messages: List[Message], sparse_only: bool = False
    ) -> np.ndarray:
        weight = 1.0 if sparse_only else self.config["dense_weight"]
        if scorer is None:
            return model.predict_proba(sentence_features(messages, weight, sparse_only)[0])
        return scorer.probabilities(
            [[matrix for _, matrix in sentence_blocks(m, weight, sparse_only, dense_as_arrays=True)] for m in messages]
        )

    def _rank(self, message: Message, labels: np.ndarray, row: np.ndarray) -> None:
        ranking = sorted(({"name": str(n), "confidence": float(p)} for n, p in zip(labels, row)), key=lambda r: -r["confidence"])
        message.set(INTENT, ranking[0], add_to_output=True)
        message.set("intent_ranking", ranking[: self.config["ranking_length"] or None], add_to_output=True)

    def persist(self) -> None:
        import skops.io as sio

        with self._model_storage.write_to(self._resource) as directory:
            sio.dump(self.model, directory / "classifier.skops")
            if self.sparse_model is not None:
                sio.dump(self.sparse_model, directory / SPARSE_FILE)
                (directory / LONGEST_FILE).write_text(json.dumps(self.sparse_longest))

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "TfidfIntentClassifier":
        component = cls(config, model_storage, resource)
        with model_storage.read_from(resource) as directory:
            component.model = load_trusted(directory / "classifier.skops")
            if (directory / SPARSE_FILE).exists():
                component.sparse_model = load_trusted(directory / SPARSE_FILE)
                component.sparse_longest = int(json.loads((directory / LONGEST_FILE).read_text()))
        component._make_scorers()
        return component


def load_trusted(path: Path) -> Pipeline:
    """A saved pipeline, refused if it holds a type other than those it is made of."""
    import skops.io as sio

    untrusted = [t for t in sio.get_untrusted_types(file=path) if t not in TRUSTED]
    if untrusted:
        # Refuse to load rather than run a model that predicts nothing.
        raise ValueError(f"unexpected types in the saved intent classifier: {untrusted}")
    return ready_for_sparse_rows(sio.load(path, trusted=TRUSTED))
