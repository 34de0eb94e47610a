"""Run in the Rasa environment by test_graph_runner.py: a small graph of Rasa components run by
Rasa's DaskGraphRunner and by bot/graph_runner.py's SequentialGraphRunner, side by side.
``python -m tests.bot.graph_runner_checks WORKDIR`` prints «RESULT » and JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

CALLS: List[str] = []  # every node run, in order, by the runner under test


def components() -> Dict[str, Any]:
    from rasa.engine.graph import GraphComponent

    class Step(GraphComponent):
        """Adds its ``add`` to the sum of its inputs; ``fail`` raises instead."""

        def __init__(self, config: Dict[str, Any]) -> None:
            self._config = config

        @classmethod
        def create(cls, config, model_storage, resource, execution_context):  # type: ignore[no-untyped-def]
            return cls(config)

        def run(self, **inputs: Any) -> Any:
            CALLS.append(self._config["name"])
            if self._config.get("fail"):
                raise ValueError("failed on purpose")
            return sum(inputs.values()) + self._config["add"]

    return {"Step": Step}


def schema(fail: bool = False) -> Any:
    from rasa.engine.graph import GraphSchema, SchemaNode

    step = components()["Step"]

    def node(name: str, add: int, needs: Dict[str, str], target: bool = False, **extra: Any) -> SchemaNode:
        return SchemaNode(needs, step, "create", "run", {"name": name, "add": add, **extra}, is_target=target)

    return GraphSchema(
        {
            "a": node("a", 1, {"x": "__input__"}),
            "b": node("b", 10, {"x": "a"}),
            "c": node("c", 100, {"x": "a", "y": "b"}, fail=fail),
            "d": node("d", 1000, {"x": "__input__"}),  # needed by no target below but "d"
            "e": node("e", 0, {"x": "c", "y": "b"}, target=True),
        }
    )


def outcome(
    runner_class: Any, work: Path, inputs: Optional[Dict[str, Any]], targets: Optional[List[str]], fail: bool = False
) -> Any:
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.storage.local_model_storage import LocalModelStorage

    graph = schema(fail)
    runner = runner_class.create(graph, LocalModelStorage(work), ExecutionContext(graph))
    CALLS.clear()
    try:
        result = runner.run(inputs=inputs, targets=targets)
    except Exception as error:  # the kind and message, as the caller would see them
        return {"error": f"{type(error).__name__}: {error}", "calls": list(CALLS)}
    return {"result": result, "calls": sorted(CALLS), "order_ok": order_ok(list(CALLS))}


def order_ok(calls: List[str]) -> bool:
    """Every node ran after the nodes it needs."""
    needs = {"b": ["a"], "c": ["a", "b"], "e": ["c", "b"]}
    return all(calls.index(parent) < calls.index(node) for node in calls for parent in needs.get(node, []) if parent in calls)


def main(work: Path) -> dict:
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.engine.storage.local_model_storage import LocalModelStorage

    from bot.graph_runner import SequentialGraphRunner

    cases = {
        "all": ({"__input__": 5}, None, False),
        "one_target": ({"__input__": 5}, ["b"], False),
        "two_targets": ({"__input__": 5}, ["d", "c"], False),
        "node_fails": ({"__input__": 5}, ["e"], True),
        "input_clash": ({"__input__": 5, "other": "a"}, ["e"], False),
    }
    found: Dict[str, Any] = {}
    for name, (inputs, targets, fail) in cases.items():
        found[name] = {
            label: outcome(kind, work / f"{name}-{label}", inputs, targets, fail)
            for label, kind in (("dask", DaskGraphRunner), ("sequential", SequentialGraphRunner))
        }
    graph = schema()
    runner = SequentialGraphRunner.create(graph, LocalModelStorage(work / "plan"), ExecutionContext(graph))
    runner.run(inputs={"__input__": 1}, targets=["e"])
    first_plan = runner.plan(["e"])
    runner.run(inputs={"__input__": 2}, targets=["e"])
    found["plan_kept"] = runner.plan(["e"]) is first_plan
    return found


if __name__ == "__main__":
    print("RESULT " + json.dumps(main(Path(sys.argv[1]))))
