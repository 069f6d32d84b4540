"""Engines gradoracle can check: the reference engine and adapters."""

from ._result import Engine, EngineResult, Failure
from .reference import ReferenceEngine, Value

__all__ = ["Engine", "EngineResult", "Failure", "ReferenceEngine", "Value"]
