"""Misspelt and Latin-script words read as the training data's words, before featurizing.

Sits between the tokenizer and the featurizers. It changes only each token's lemma, which the
CountVectorsFeaturizers read (``use_lemma``); the text and the token offsets stay as typed, so
entities are still found where the citizen wrote them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Text, Type

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu import persian, spelling

_FILE = "vocabulary.json"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class PersianSpeller(GraphComponent):
    """Learns the training data's words; reads an unknown word as the known word it stands for."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # Debian's myspell-fa: every inflected form of Persian words, one a line.
        return {"min_length": 3, "min_skeleton": 2, "lexicon": "/usr/share/hunspell/fa_IR.dic"}

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        digest = hashlib.sha256(Path(spelling.__file__).read_bytes())
        lexicon = Path(config.get("lexicon", cls.get_default_config()["lexicon"]))
        digest.update(lexicon.read_bytes() if lexicon.is_file() else b"")
        return digest.hexdigest()

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.speller: Optional[spelling.Speller] = None

    @classmethod
    def create(
        cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext
    ) -> "PersianSpeller":
        return cls(config, model_storage, resource)

    def _options(self) -> Dict[str, int]:
        return {"min_length": int(self.config["min_length"]), "min_skeleton": int(self.config["min_skeleton"])}

    def train(self, training_data: TrainingData) -> Resource:
        sentences = [[t.text for t in m.get(TOKENS_NAMES[TEXT]) or []] for m in training_data.training_examples]
        self.speller = spelling.Speller.from_sentences(sentences, self._lexicon(), **self._options())
        saved = {
            "counts": dict(self.speller.counts),
            "protected": sorted(self.speller.protected),
            "pairs": sorted(self.speller.pairs),
        }
        with self._model_storage.write_to(self._resource) as directory:
            (directory / _FILE).write_text(json.dumps(saved, ensure_ascii=False), encoding="utf-8")
        return self._resource

    def _lexicon(self) -> List[str]:
        path = Path(self.config["lexicon"])
        if not path.is_file():
            raise FileNotFoundError(f"Persian word list {path} is missing: apt-get install myspell-fa")
        return [persian.normalize(line.split("/")[0]) for line in path.read_text(encoding="utf-8").splitlines()[1:]]

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "PersianSpeller":
        component = cls(config, model_storage, resource)
        with model_storage.read_from(resource) as directory:
            saved = json.loads((directory / _FILE).read_text(encoding="utf-8"))
        component.speller = spelling.Speller(
            saved["counts"],
            frozenset(saved["protected"]),
            frozenset((a, b) for a, b in saved["pairs"]),
            **component._options(),
        )
        return component

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        # Every training word is known, so nothing would change.
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        if self.speller is None:
            return messages
        for message in messages:
            tokens = message.get(TOKENS_NAMES[TEXT]) or []
            for token, word in zip(tokens, self.speller.correct_sentence([t.text for t in tokens])):
                token.lemma = word
        return messages
