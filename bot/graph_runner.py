"""Rasa's model graph run node after node, in an order worked out once.

Rasa 3.6 runs every parse and every prediction through ``DaskGraphRunner``: each call copies the
graph schema to find the nodes the targets need (``minimal_graph_schema``, a deep copy), builds a
dask task graph and hands it to dask's synchronous scheduler. The nodes then run one after the
other anyway, and the bookkeeping cost about 1.4 ms a parse and as much again for each of a
turn's predictions (issue 26's profile). This runner keeps the same nodes, inputs, outputs and
errors, and works out each target set's order once.
"""

from __future__ import annotations

from graphlib import TopologicalSorter
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner

# A node to run and the names of the nodes or inputs it takes, in its arguments' order.
Step = Tuple[Text, Tuple[Text, ...]]


class SequentialGraphRunner(DaskGraphRunner):
    """A ``DaskGraphRunner`` without dask: the same nodes, run in a cached topological order."""

    _plans: Dict[Tuple[Text, ...], List[Step]]

    def plan(self, targets: List[Text]) -> List[Step]:
        """The steps that compute ``targets``: every node they need, each after its parents."""
        key = tuple(targets)
        if not hasattr(self, "_plans"):
            self._plans = {}
        if key not in self._plans:
            schema = self._graph_schema.minimal_graph_schema(targets)
            nodes = schema.nodes
            order = TopologicalSorter({name: [n for n in node.needs.values() if n in nodes] for name, node in nodes.items()})
            self._plans[key] = [(name, tuple(nodes[name].needs.values())) for name in order.static_order()]
        return self._plans[key]

    def run(self, inputs: Optional[Dict[Text, Any]] = None, targets: Optional[List[Text]] = None) -> Dict[Text, Any]:
        run_targets = targets if targets else self._graph_schema.target_names
        steps = self.plan(run_targets)
        # As dask sees them: an input is the pair (name, value), a node's result (its name, output).
        results: Dict[Text, Any] = {}
        for name, value in (inputs or {}).items():
            if isinstance(value, str) and value in self._graph_schema.nodes:
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure that none of the input names "
                    f"passed to the `run` method are the same as node names in the graph schema."
                )
            results[name] = (name, value)
        try:
            for name, needs in steps:
                results[name] = self._instantiated_nodes[name](*(results[need] for need in needs))
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
        return dict(results[target] for target in run_targets)
