"""Rasa's RulePolicy, finding the rules that may apply from an index rather than by trying each.

For every prediction (two or three a turn) Rasa 3.6's RulePolicy tries each of its rules (about
280 here, and 60 for forms' unhappy paths) against the conversation's latest state, comparing
dictionaries: 12% of a Rasa server's time under load (issue 26's profile). Most rules fail on the
action that came last, so a trained policy keeps its rules by that action: the latest state is
compared only with the rules that ended on the same action, and with the few the index cannot
place. Which rules apply, and so what is predicted, is exactly what RulePolicy finds
(tests/bot/test_rule_policy.py compares them). Training is RulePolicy's own.

Imported by Rasa, so it uses only what the Rasa environment has.
"""

from __future__ import annotations

import json
from typing import Any, Dict, FrozenSet, List, Optional, Set, Text, Tuple

from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import PREVIOUS_ACTION
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import State
from rasa.shared.core.trackers import DialogueStateTracker

# Where a rule goes in the index: the one (name, value) its latest state's previous action must
# have; STARTER for a rule that starts a conversation; OTHER for one that must be tried.
Place = Optional[Tuple[Text, Text]]
STARTER: Place = ("", "starter")
OTHER: Place = None


def place(rule_key: Text) -> Place:
    """Where ``rule_key`` (a rule's states, as RulePolicy keeps them) is found in the index."""
    from rasa.core.policies.rule_policy import SHOULD_NOT_BE_SET

    states = json.loads(rule_key)
    if not states:
        return OTHER
    previous = states[-1].get(PREVIOUS_ACTION)
    if not previous:
        return STARTER
    if len(previous) != 1:
        return OTHER
    ((name, value),) = previous.items()
    # RulePolicy skips a value that is empty and treats «should not be set» apart: tried.
    if not isinstance(value, str) or not value or value == SHOULD_NOT_BE_SET:
        return OTHER
    return (name, value)


class RuleIndex:
    """A lookup's rules by the previous action their latest state needs."""

    def __init__(self, lookup: Dict[Text, Text]) -> None:
        self.size = len(lookup)
        self.places: Dict[Place, Set[Text]] = {}
        self.lengths = {key: len(json.loads(key)) for key in lookup}
        for key in lookup:
            self.places.setdefault(place(key), set()).add(key)

    def candidates(self, latest: State) -> FrozenSet[Text]:
        """The rules that may match a conversation whose latest state is ``latest``."""
        found = set(self.places.get(OTHER, ()))
        previous = latest.get(PREVIOUS_ACTION)
        if not previous:
            found |= self.places.get(STARTER, set())
        else:
            for name, value in previous.items():
                if isinstance(value, str):
                    found |= self.places.get((name, value), set())
        return frozenset(found)


def same(these: Tuple[Any, ...], those: Tuple[Any, ...]) -> bool:
    return len(these) == len(those) and all(a is b for a, b in zip(these, those))


def copied(states: List[State]) -> List[State]:
    """A copy of ``states`` that Rasa's featurizer may change in place (it deletes keys of a
    state's parts; the values are strings and tuples)."""
    return [{part: dict(values) for part, values in state.items()} for state in states]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class IndexedRulePolicy(RulePolicy):
    """RulePolicy whose predictions look rules up by the conversation's previous action."""

    @classmethod
    def load(cls, *args: Any, **kwargs: Any) -> "IndexedRulePolicy":
        policy = super().load(*args, **kwargs)
        # A loaded policy's rules no longer change: the index is safe to keep.
        policy._indexes = {}  # type: ignore[attr-defined]
        return policy  # type: ignore[return-value]

    def _predict(self, tracker: DialogueStateTracker, domain: Domain) -> Tuple[PolicyPrediction, Optional[Text]]:
        """RulePolicy's prediction, the tracker's states made once for it. RulePolicy looks for a
        rule twice after a message (by its text, then by its intent), each time turning the
        whole tracker into states (``past_states``, 8% of a Rasa server's CPU under load); the
        two differ only in what Rasa's featurizer does after (``_choose_last_user_input``), which
        changes its states in place, so each look gets its own copy of the states made once."""
        featurizer = self.featurizer
        create = featurizer._create_states
        made: List[Tuple[Tuple[Any, ...], Dict[Text, Any], List[State]]] = []

        def create_once(*args: Any, **kwargs: Any) -> List[State]:
            # The same tracker and domain (the very objects) and equal options (RulePolicy makes
            # its rule-only data anew for each look) within this prediction.
            for known_args, known_kwargs, states in made:
                if same(known_args, args) and known_kwargs == kwargs:
                    return copied(states)
            states = create(*args, **kwargs)
            made.append((args, kwargs, states))
            return copied(states)

        featurizer._create_states = create_once  # type: ignore[method-assign]
        try:
            return super()._predict(tracker, domain)
        finally:
            del featurizer._create_states

    def _get_possible_keys(self, lookup: Dict[Text, Text], states: List[State]) -> Set[Text]:
        indexes: Optional[Dict[int, Tuple[Dict[Text, Text], RuleIndex]]] = getattr(self, "_indexes", None)
        if indexes is None or not states:  # training, or nothing to look at: RulePolicy's way
            return super()._get_possible_keys(lookup, states)
        kept = indexes.get(id(lookup))
        if kept is None or kept[0] is not lookup or kept[1].size != len(lookup):
            kept = indexes[id(lookup)] = (lookup, RuleIndex(lookup))
        index = kept[1]
        possible = set(index.candidates(states[-1]))
        # From here on exactly RulePolicy's filter, over the candidates instead of every rule, and
        # only as far back as the longest of them reaches (further back, every rule applies).
        for i, state in enumerate(reversed(states)):
            if not possible or i >= max(index.lengths[key] for key in possible):
                break
            possible = {key for key in possible if self._is_rule_applicable(key, i, state)}
        return possible
