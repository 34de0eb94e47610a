"""bot/tensorflow_stand_in.py: stand-ins that answer TensorFlow's imports in every process of the
Rasa environment unless the real one is asked for; asserted on their own and, in that
environment, on Rasa's own imports (tests/bot/tensorflow_checks.py)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator

import pytest

from bot.tensorflow_stand_in import (
    StandIn,
    StandInFinder,
    StandInModule,
    TensorFlowLeftOut,
    leave_tensorflow_out_unless_asked,
)
from tests.conftest import checks_in_rasa_environment

ABSENT = "hamyar_absent_package"


@pytest.fixture
def absent() -> Iterator[None]:
    finder = StandInFinder(frozenset({ABSENT}))
    sys.meta_path.insert(0, finder)
    yield
    sys.meta_path.remove(finder)
    for name in [name for name in sys.modules if name.partition(".")[0] == ABSENT]:
        del sys.modules[name]


def test_a_left_out_package_and_its_submodules_import_as_stand_ins(absent):
    package = importlib.import_module(ABSENT)
    deep = importlib.import_module(f"{ABSENT}.python.keras.layers")
    assert isinstance(package, StandInModule) and isinstance(deep, StandInModule)
    assert importlib.import_module(ABSENT) is package  # imported once


def test_any_name_is_a_class_that_is_the_same_each_time(absent):
    tf = importlib.import_module(ABSENT)
    assert isinstance(tf.keras.layers.Layer, StandIn)
    assert tf.keras.layers.Layer is tf.keras.layers.Layer
    assert not isinstance(3, tf.Tensor)


def test_calling_a_stand_in_says_how_to_have_the_real_one(absent):
    tf = importlib.import_module(ABSENT)
    with pytest.raises(TensorFlowLeftOut, match="HAMYAR_RASA_TENSORFLOW=1"):
        tf.constant(1)
    with pytest.raises(TensorFlowLeftOut):
        tf.keras.layers.Dense(4)


def test_a_class_defined_on_a_stand_in_is_made_and_works_until_it_reaches_tensorflow(absent):
    tf = importlib.import_module(ABSENT)

    class Logger(tf.keras.callbacks.Callback):  # as rasa/utils/tensorflow/callback.py does
        def __init__(self, name: str) -> None:
            self.name = name

        def fit(self) -> None:
            tf.function(self.fit)

    logger = Logger("x")
    assert logger.name == "x" and isinstance(logger, tf.keras.callbacks.Callback)
    with pytest.raises(TensorFlowLeftOut):
        logger.fit()


def test_dunder_names_are_not_invented(absent):
    tf = importlib.import_module(ABSENT)
    with pytest.raises(AttributeError):
        tf.keras.__wrapped__
    assert not hasattr(tf, "__version__")


def test_other_packages_are_left_to_the_real_finders(absent):
    assert StandInFinder(frozenset({ABSENT})).find_spec("json", None) is None
    assert StandInFinder(frozenset({ABSENT})).find_spec(ABSENT + "x", None) is None


def test_the_stand_ins_go_first_unless_the_real_tensorflow_is_asked_for(monkeypatch):
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    monkeypatch.setenv("HAMYAR_RASA_TENSORFLOW", "1")
    assert not leave_tensorflow_out_unless_asked()
    assert not any(isinstance(finder, StandInFinder) for finder in sys.meta_path)
    monkeypatch.delenv("HAMYAR_RASA_TENSORFLOW")
    assert leave_tensorflow_out_unless_asked()
    assert isinstance(sys.meta_path[0], StandInFinder)


@pytest.fixture(scope="module")
def rasa(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return checks_in_rasa_environment("tests.bot.tensorflow_checks", tmp_path_factory.mktemp("tensorflow"), timeout=600)


def test_every_process_of_the_rasa_environment_starts_with_the_stand_ins(rasa):
    default = rasa["default"]
    assert default["stand_ins_at_start"] and not default["real"] and not default["jax"]
    assert "HAMYAR_RASA_TENSORFLOW=1" in default["refusal"]


def test_asking_for_tensorflow_loads_the_real_one(rasa):
    asked = rasa["asked"]
    assert not asked["stand_ins_at_start"] and asked["real"] and asked["refusal"] is None


def test_a_rasa_process_without_tensorflow_is_smaller_by_more_than_200_mb(rasa):
    assert rasa["asked"]["rss_mb"] - rasa["default"]["rss_mb"] > 200
