"""A button press reaches Rasa as ``/intent{entities}``: only the gateway may send a text that
starts with a slash (bot/channel.py). Rasa's RegexMessageHandler, last in the pipeline, replaces
the whole parse of such a message with the intent and entities it names, so reading it as words
(spelling, the sentence encoder, the classifier, the entity extractor) is work thrown away: the
encoder alone costs a button press about 14 ms of Rasa's CPU.
"""

from __future__ import annotations

from rasa.shared.constants import INTENT_MESSAGE_PREFIX
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message


def is_button(message: Message) -> bool:
    """Whether the message is a button's payload, which RegexMessageHandler parses."""
    return str(message.get(TEXT) or "").lstrip().startswith(INTENT_MESSAGE_PREFIX)
