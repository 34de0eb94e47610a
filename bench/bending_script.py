"""The bending conversations of bench/bending.yml as data, and how one is judged on the answers
it got: whether it succeeded, at which turn, and how often Hamyar said it did not understand.
Pure: no stack, no network (bench/bending.py runs the conversations)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import yaml

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "bench" / "bending.yml"
DOMAIN = ROOT / "bot" / "domain.yml"
TURN_KINDS = ("say", "press", "sms")


@dataclass(frozen=True)
class Turn:
    """``kind`` is say (``value`` typed), press (``value`` a button's title) or sms (``value`` a
    phone: the one-time code last sent to it is typed)."""

    kind: str
    value: str


@dataclass(frozen=True)
class Conversation:
    name: str
    form: str
    slot: str
    category: str
    turns: tuple[Turn, ...]
    # Each entry: texts any one of which must appear in some answer (all entries must).
    success: tuple[tuple[str, ...], ...]
    success_names: tuple[str, ...]
    # Texts that must appear in no answer.
    never: tuple[str, ...] = ()


@dataclass(frozen=True)
class Script:
    conversations: tuple[Conversation, ...]
    misunderstood: str


@dataclass(frozen=True)
class Verdict:
    """How one conversation went. ``turns_to_success``: the citizen's turns until the last text
    of the criterion was seen; ``missing``: the criterion's names never seen; ``said_never``:
    texts that should not have been said and were; ``stopped``: why the script could not go on."""

    conversation: Conversation
    success: bool
    turns_to_success: Optional[int]
    misunderstood: int
    last_reply: str
    missing: tuple[str, ...] = ()
    said_never: tuple[str, ...] = ()
    stopped: Optional[str] = None


def _alternatives(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)


def _turn(entry: dict, where: str) -> Turn:
    kinds = [kind for kind in TURN_KINDS if kind in entry]
    if len(kinds) != 1 or len(entry) != 1:
        raise ValueError(f"{where}: a turn is one of {', '.join(TURN_KINDS)}, got {sorted(entry)}")
    return Turn(kinds[0], str(entry[kinds[0]]))


def domain_forms(path: Path = DOMAIN) -> dict[str, tuple[str, ...]]:
    """Each form of the domain and the items it asks for, in order."""
    forms = yaml.safe_load(path.read_text(encoding="utf-8"))["forms"]
    return {name: tuple(form["required_slots"]) for name, form in forms.items()}


def parse(data: dict, forms: dict[str, tuple[str, ...]]) -> Script:
    """The script from bench/bending.yml's shape; a name, form, slot or turn that is wrong raises."""
    texts = {name: _alternatives(value) for name, value in data["texts"].items()}
    conversations = []
    seen: set[str] = set()
    for entry in data["conversations"]:
        name = str(entry["name"])
        if name in seen:
            raise ValueError(f"{name}: two conversations have this name")
        seen.add(name)
        if entry["slot"] not in forms.get(entry["form"], ()):
            raise ValueError(f"{name}: {entry['form']!r} asks for no {entry['slot']!r}")
        unknown = [t for t in [*entry["success"], *entry.get("never", [])] if t not in texts]
        if unknown or not entry["success"]:
            raise ValueError(f"{name}: success needs names of texts; unknown: {unknown}")
        conversations.append(
            Conversation(
                name=name,
                form=str(entry["form"]),
                slot=str(entry["slot"]),
                category=str(entry["category"]),
                turns=tuple(_turn(turn, f"{name} turn {number}") for number, turn in enumerate(entry["turns"], 1)),
                success=tuple(texts[t] for t in entry["success"]),
                success_names=tuple(entry["success"]),
                never=tuple(text for t in entry.get("never", []) for text in texts[t]),
            )
        )
    return Script(tuple(conversations), str(data["misunderstood"]))


def load(path: Path = SCRIPT, domain: Path = DOMAIN) -> Script:
    return parse(yaml.safe_load(path.read_text(encoding="utf-8")), domain_forms(domain))


def judge(conversation: Conversation, answers: list[list[str]], misunderstood: str, stopped: Optional[str] = None) -> Verdict:
    """``answers``: the texts Hamyar sent after each turn the citizen took, in order (fewer than
    the script's turns when it ``stopped``)."""
    seen_at: list[Optional[int]] = [None] * len(conversation.success)
    for number, texts in enumerate(answers, 1):
        for index, alternatives in enumerate(conversation.success):
            if seen_at[index] is None and any(a in text for a in alternatives for text in texts):
                seen_at[index] = number
    said = [text for texts in answers for text in texts]
    said_never = tuple(n for n in conversation.never if any(n in text for text in said))
    missing = tuple(name for name, at in zip(conversation.success_names, seen_at) if at is None)
    success = not missing and not said_never
    last = next((texts for texts in reversed(answers) if texts), [])
    return Verdict(
        conversation=conversation,
        success=success,
        turns_to_success=max(at for at in seen_at if at is not None) if success else None,
        misunderstood=sum(misunderstood in text for text in said),
        last_reply="\n".join(last),
        missing=missing,
        said_never=said_never,
        stopped=stopped,
    )
