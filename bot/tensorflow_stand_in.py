"""TensorFlow left out of a Rasa server whose model does not use it.

Rasa 3.6 imports TensorFlow (with Keras, JAX and TensorBoard) from its training utilities and
policy modules whatever the model's components are: about 350 MB of each Rasa server's 600 MB
(issue 26). Hamyar's pipeline and policies never call it. At import time Rasa only names
TensorFlow's classes (``class RasaTrainingLogger(tf.keras.callbacks.Callback)``) and never calls
them, so a stand-in package answers those imports: any attribute is a class that can be named,
subclassed and compared against (``isinstance`` is False), and calling one raises
``TensorFlowLeftOut``, which says how to start Rasa with the real one. A model with a
TensorFlow component (DIET, TED, a language-model featurizer) fails to load with that error
instead of answering wrongly.

TensorFlow is therefore not in requirements/rasa.lock (its CPU build, a third of the download, is
installed only for fine-tuning the encoder and with ``HAMYAR_RASA_TENSORFLOW=1``), and every
process of that environment starts with the stand-ins (a ``.pth`` file that scripts/common.sh
writes) unless ``HAMYAR_RASA_TENSORFLOW=1`` asks for the real one.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
import types
from typing import Any, Sequence

# The packages Rasa 3.6's imports reach through TensorFlow.
TENSORFLOW_PACKAGES = frozenset(
    {"tensorflow", "keras", "tensorboard", "tensorflow_addons", "tensorflow_hub", "tensorflow_text", "tensorflow_probability"}
)
ENV_USE_TENSORFLOW = "HAMYAR_RASA_TENSORFLOW"


class TensorFlowLeftOut(RuntimeError):
    """Something called TensorFlow in a Rasa server started without it."""


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


class StandIn(type):
    """The type of every stand-in: a class whose attributes are stand-ins and whose call raises."""

    def __getattr__(cls, name: str) -> Any:
        if _is_dunder(name):
            raise AttributeError(name)
        child = StandIn(f"{cls.__name__}.{name}", (), {"__module__": cls.__module__})
        setattr(cls, name, child)  # the same name gives the same class
        return child

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls.__dict__.get("_subclassed", False):
            return super().__call__(*args, **kwargs)
        raise TensorFlowLeftOut(
            f"{cls.__module__}.{cls.__name__} was called, but this Rasa server runs without TensorFlow "
            f"(its model has a component that needs it); start it with {ENV_USE_TENSORFLOW}=1, with which "
            "scripts/common.sh installs requirements/rasa-tensorflow.lock"
        )

    def __init__(cls, name: str, bases: tuple, namespace: dict) -> None:
        super().__init__(name, bases, namespace)
        # A class Rasa defines on a stand-in base is Rasa's own: making one calls Rasa's code,
        # which reaches TensorFlow (and raises) only if it uses it.
        cls._subclassed = any(isinstance(base, StandIn) for base in bases)


class StandInModule(types.ModuleType):
    """A module of the left-out package: any public name is a stand-in class."""

    def __getattr__(self, name: str) -> Any:
        if _is_dunder(name):
            raise AttributeError(name)
        stand_in = StandIn(name, (), {"__module__": self.__name__})
        setattr(self, name, stand_in)
        return stand_in


class StandInFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds every module of the left-out packages, ahead of the real ones."""

    def __init__(self, packages: frozenset[str] = TENSORFLOW_PACKAGES) -> None:
        self.packages = packages

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.partition(".")[0] not in self.packages:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = StandInModule(spec.name)
        module.__path__ = []  # a package: its submodules are stand-ins too
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        return None


def leave_tensorflow_out() -> bool:
    """Put the stand-ins ahead of the real packages, once; False (the real one stays) if
    TensorFlow is already imported."""
    if any(isinstance(finder, StandInFinder) for finder in sys.meta_path):
        return True
    if any(name.partition(".")[0] in TENSORFLOW_PACKAGES for name in sys.modules):
        return False
    sys.meta_path.insert(0, StandInFinder())
    return True


def leave_tensorflow_out_unless_asked() -> bool:
    """The stand-ins, unless ``HAMYAR_RASA_TENSORFLOW=1`` asks for the real TensorFlow; run by
    every process of the Rasa environment (the ``.pth`` file scripts/common.sh writes), where
    TensorFlow is installed only on that request (requirements/rasa-tensorflow.lock)."""
    if os.environ.get(ENV_USE_TENSORFLOW, "") == "1":
        return False
    return leave_tensorflow_out()
