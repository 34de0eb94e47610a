"""Run in the Rasa environment by test_rule_policy.py: bot/rule_policy.py's IndexedRulePolicy
against Rasa's RulePolicy, both with the rules RulePolicy learns from Hamyar's domain and rules.

Compared: the rules each finds applicable for every state sequence a rule is made of (each of its
tails, each followed by every rule's last state, each after twenty other turns), and the
prediction for every step of every training conversation; counted: how many times each tries a
rule against a state.
``python -m tests.bot.rule_policy_checks WORKDIR`` prints «RESULT » and JSON.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Dict, List

from tests.bot.tracker_window_checks import prediction, rule_policy, rule_trackers


def state_sequences(lookup: Dict[str, str]) -> List[List[dict]]:
    """Each rule's states, its tails, it followed by each rule's latest state, and it after a
    long conversation."""
    rules = [json.loads(key) for key in lookup]
    latest = [states[-1] for states in rules if states]
    sequences = [states[i:] for states in rules for i in range(len(states))]
    sequences += [[*states, last] for states in rules for last in latest]
    # A long conversation: twenty turns of other rules before each rule's states.
    sequences += [[*latest[:20], *states] for states in rules]
    return sequences


def counted(policy: Any) -> Dict[str, int]:
    """Counts ``policy``'s tries of a rule against a state from now on."""
    count = {"tries": 0}
    original = policy._is_rule_applicable

    def tried(*args: Any) -> bool:
        count["tries"] += 1
        return original(*args)

    policy._is_rule_applicable = tried
    return count


def checks() -> Dict[str, Any]:
    from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.rule_policy import IndexedRulePolicy

    stock, domain = rule_policy()
    storage, resource = stock._model_storage, stock._resource
    indexed = IndexedRulePolicy.load(stock.config, storage, resource, ExecutionContext(GraphSchema({}), "index-check"))
    result: Dict[str, Any] = {"rules": {name: len(stock.lookup[name]) for name in (RULES, RULES_FOR_LOOP_UNHAPPY_PATH)}}

    differences, sequences = [], 0
    for name in (RULES, RULES_FOR_LOOP_UNHAPPY_PATH):
        for states in state_sequences(stock.lookup[name]):
            sequences += 1
            if stock._get_possible_keys(stock.lookup[name], states) != indexed._get_possible_keys(indexed.lookup[name], states):
                differences.append(states)
    result["sequences"] = {"compared": sequences, "different": len(differences), "first": differences[:1]}

    # Every step of every conversation the rules make, predicted by both.
    steps = []
    for tracker in rule_trackers(domain):
        for end in range(1, len(tracker.events) + 1):
            if tracker.events[end - 1].type_name in ("action", "user"):
                steps.append(DialogueStateTracker.from_events(tracker.sender_id, list(tracker.events)[:end], domain.slots))
    tries, seconds, predictions, made_states = {}, {}, {}, {}
    past_states = DialogueStateTracker.past_states
    for label, policy in (("stock", stock), ("indexed", indexed)):
        count = counted(policy)
        calls = []

        def counted_past_states(*args: Any, **kwargs: Any) -> Any:
            calls.append(1)
            return past_states(*args, **kwargs)

        DialogueStateTracker.past_states = counted_past_states  # type: ignore[method-assign]
        began = time.perf_counter()
        per_step = []
        try:
            predictions[label] = []
            for step in steps:
                before = len(calls)
                predictions[label].append(prediction(policy, step, domain))
                per_step.append(len(calls) - before)
        finally:
            DialogueStateTracker.past_states = past_states  # type: ignore[method-assign]
        seconds[label] = time.perf_counter() - began
        tries[label] = count["tries"]
        # Predictions by how many times each turned the tracker into states.
        made_states[label] = {times: per_step.count(times) for times in sorted(set(per_step))}
    different = [i for i, (a, b) in enumerate(zip(predictions["stock"], predictions["indexed"])) if a != b]
    result["predictions"] = {"compared": len(steps), "different": len(different)}
    result["tries"] = tries
    result["past_states"] = made_states
    result["ms_a_prediction"] = {label: 1000 * s / max(1, len(steps)) for label, s in seconds.items()}
    return result


if __name__ == "__main__":
    logging.disable(logging.WARNING)  # RulePolicy logs every state at debug level
    print("RESULT " + json.dumps(checks(), ensure_ascii=False, default=str))
