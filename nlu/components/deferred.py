"""Features a featurizer leaves on a message to be computed only if a later component needs them.

The sentence encoder is most of a typed message's parse time, and the n-grams alone already
decide most messages with a high confidence. With ``defer: true`` the encoder leaves its work
pending on the message instead of its vector; the intent classifier completes it only for the
messages the n-grams leave unsure (nlu/components/classifier.py, ``sparse_confident``). The
pending work is a property of the message that is never output, so nothing of it reaches the
parse result.
"""

from __future__ import annotations

from typing import Callable, Iterable, List

from rasa.shared.nlu.training_data.message import Message

PENDING = "hamyar_pending_features"

Featurize = Callable[[List[Message]], None]


def defer(message: Message, featurize: Featurize) -> None:
    """Leave ``featurize`` (which adds features to the messages it is given) pending on ``message``."""
    message.set(PENDING, [*(message.get(PENDING) or []), featurize])


def complete(messages: Iterable[Message]) -> None:
    """Run every featurizer pending on ``messages``, each once, with all its messages together."""
    # Keyed by the featurizer itself: the same component's bound method is equal each time.
    waiting: dict[Featurize, List[Message]] = {}
    for message in messages:
        for featurize in message.get(PENDING) or []:
            waiting.setdefault(featurize, []).append(message)
        message.set(PENDING, [])
    for featurize, batch in waiting.items():
        featurize(batch)
