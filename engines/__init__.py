"""Engines gradoracle can check: the reference engine and the adapters.

Importing this package imports no framework; each adapter imports its
framework when an engine is made.
"""

from ._autograd import AutogradEngine
from ._jax import JaxEngine
from ._process import ProcessEngine
from ._reference_engine import ReferenceEngine
from ._result import Engine, EngineResult, Failure
from ._spec import load_engine, register_spec_prefix
from ._tinygrad import TinygradEngine
from ._torch import TorchEngine
from ._value_like import ValueLikeEngine
from .reference import Value

__all__ = [
    "AutogradEngine",
    "Engine",
    "EngineResult",
    "Failure",
    "JaxEngine",
    "ProcessEngine",
    "ReferenceEngine",
    "TinygradEngine",
    "TorchEngine",
    "Value",
    "ValueLikeEngine",
    "load_engine",
    "register_spec_prefix",
]
