"""Tracking codes, national ids, phones, services and agencies, read against the live catalogue."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from agencies.catalog import CatalogFile
from nlu import entities, identifiers, names
from nlu.components.buttons import is_button


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class HamyarEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Not trained: the catalogue file is read at run time, so a new service needs no retraining."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "HamyarEntityExtractor":
        return cls(CatalogFile())

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        digest = hashlib.sha256()
        for module in (entities, identifiers, names):
            digest.update(Path(module.__file__).read_bytes())
        return digest.hexdigest()

    def __init__(self, catalog: CatalogFile) -> None:
        self._catalog = catalog

    def process(self, messages: List[Message]) -> List[Message]:
        catalog = self._catalog.get()
        for message in messages:
            if is_button(message):
                continue  # the button names its own entities
            text = message.get(TEXT) or ""
            found = [
                {
                    "entity": e.entity,
                    "value": e.value,
                    "start": e.start,
                    "end": e.end,
                    "confidence_entity": 1.0,
                    "extractor": self.__class__.__name__,
                }
                for e in entities.extract_entities(text, catalog)
            ]
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages
