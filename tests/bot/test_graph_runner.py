"""bot/graph_runner.py: Rasa's graph run without dask gives what DaskGraphRunner gives.

Run in the Rasa environment (tests/bot/graph_runner_checks.py); asserted here. Every integration
test runs the real model through it too (bot/serve.py installs it)."""

from __future__ import annotations

import pytest

from tests.conftest import checks_in_rasa_environment


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return checks_in_rasa_environment("tests.bot.graph_runner_checks", tmp_path_factory.mktemp("graph_runner"), timeout=300)


@pytest.mark.parametrize("case", ["all", "one_target", "two_targets"])
def test_the_targets_and_the_nodes_run_are_those_dask_gives(checked, case):
    dask, sequential = checked[case]["dask"], checked[case]["sequential"]
    assert sequential["result"] == dask["result"]
    assert sequential["calls"] == dask["calls"]  # no node more, none less
    assert sequential["order_ok"]


def test_the_figures_are_what_the_graph_adds_up_to(checked):
    # a = 5+1, b = a+10 = 16, c = a+b+100 = 122, e = c+b: each input wired to its node.
    assert checked["all"]["sequential"]["result"] == {"e": 122 + 16}
    assert checked["two_targets"]["sequential"]["result"] == {"d": 1005, "c": 122}


def test_a_failing_node_raises_what_it_raises_under_dask(checked):
    dask, sequential = checked["node_fails"]["dask"], checked["node_fails"]["sequential"]
    # Rasa's GraphNode wraps the component's error; nothing of the runner's own is added.
    assert sequential["error"] == dask["error"] == "GraphComponentException: Error running graph component for node c."
    assert sequential["calls"] == ["a", "b", "c"]  # nothing after the failed node


def test_an_input_named_like_a_node_is_refused_as_dask_refuses_it(checked):
    assert checked["input_clash"]["sequential"]["error"].startswith("GraphRunError")
    assert checked["input_clash"]["dask"]["error"].startswith("GraphRunError")


def test_the_order_is_worked_out_once_per_target_set(checked):
    assert checked["plan_kept"]
