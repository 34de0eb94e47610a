"""The Persian normaliser as the first Rasa component, for training data and live messages alike."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, ENTITY_ATTRIBUTE_END, ENTITY_ATTRIBUTE_START, ENTITY_ATTRIBUTE_VALUE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu import persian

_SOURCE = Path(persian.__file__)


def normaliser_hash() -> str:
    """Rasa does not fingerprint a component's source; this puts the normaliser into it."""
    return hashlib.sha256(_SOURCE.read_bytes()).hexdigest()


def normalise_message(message: Message) -> None:
    text = message.get(TEXT)
    if not text:
        return
    normalised, mapping = persian.normalize_with_map(text)
    entities = message.get(ENTITIES)
    if entities:
        aligned = []
        for entity in entities:
            start, end = entity[ENTITY_ATTRIBUTE_START], entity[ENTITY_ATTRIBUTE_END]
            updated = dict(entity)
            updated[ENTITY_ATTRIBUTE_START], updated[ENTITY_ATTRIBUTE_END] = mapping[start], mapping[end]
            if entity.get(ENTITY_ATTRIBUTE_VALUE) == text[start:end]:
                updated[ENTITY_ATTRIBUTE_VALUE] = normalised[mapping[start] : mapping[end]]
            aligned.append(updated)
        message.set(ENTITIES, aligned)
    message.set(TEXT, normalised)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False)
class PersianNormaliser(GraphComponent):
    """Rewrites the message text to its normal form (PERSIAN.md) before it is tokenised."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "PersianNormaliser":
        return cls()

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        return normaliser_hash()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            normalise_message(example)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            normalise_message(message)
        return messages
