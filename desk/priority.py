"""A waiting citizen's priority from the configured rules, with the labels the desk shows for it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from desk.desk_config import Condition, PriorityRule


@dataclass(frozen=True)
class Facts:
    """What is known about a conversation when it joins the queue."""

    reason: str
    # Contacts about the same case, this one included (0: no case is known).
    contacts_about_case: int = 0
    # The agency waits for the citizen (a missing document, a visit) before the case can move.
    case_waiting_on_citizen: bool = False


@dataclass(frozen=True)
class Priority:
    value: int
    # The labels of the rules that applied, highest first: why the item is high.
    reasons: tuple[str, ...] = ()


def _holds(condition: Condition, facts: Facts) -> bool:
    if condition.reason_is is not None:
        return facts.reason == condition.reason_is
    if condition.contacts_about_case_at_least is not None:
        return facts.contacts_about_case >= condition.contacts_about_case_at_least
    return bool(condition.case_waiting_on_citizen) == facts.case_waiting_on_citizen


def priority_of(rules: Iterable[PriorityRule], facts: Facts) -> Priority:
    """The highest priority of the rules that apply (0 when none does) and all their labels."""
    applied = sorted((rule for rule in rules if _holds(rule.when, facts)), key=lambda rule: -rule.priority)
    return Priority(max((rule.priority for rule in applied), default=0), tuple(rule.label for rule in applied))
