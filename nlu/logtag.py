"""A conversation's tag in logs: the gateway, Rasa's channel and the actions all write the same
one, so a turn can be followed across processes without its id (a chat id) being written."""

from __future__ import annotations

import hashlib


def conversation_tag(conversation_id: str) -> str:
    """Ten hex digits of the id's SHA-256: enough to tell conversations apart, nothing to name one."""
    return hashlib.sha256(conversation_id.encode()).hexdigest()[:10]
