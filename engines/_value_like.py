"""Run any micrograd-style scalar class as a gradoracle engine.

A micrograd-style class wraps one number, overloads Python operators and a
few methods (``tanh``, ``relu``...), records how each value was computed and
offers a backward method that fills a gradient attribute on every node.
``ValueLikeEngine`` probes the class once (see ``_probe``), then builds every
graph fresh from plain floats, so constants reach the engine exactly as user
code passes them (``2 - x`` calls ``__rsub__``).

NOTE: nothing here stops an engine that loops forever; run untrusted or
hanging engines as process engines, which have real timeouts.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Union

from oracle._errors import EngineLoadError
from oracle._graph import Graph, Point

from ._mapping import ApiMapping, load_mapping
from ._probe import ProbeReport, probe
from ._result import EngineResult
from ._state_checks import check_state
from ._value_api import ValueApi
from ._value_run import execute

__all__ = ["ValueLikeEngine"]


class ValueLikeEngine:
    """A micrograd-style class behind the ``Engine`` protocol.

    Raises ``EngineLoadError`` when probing finds no usable constructor, data
    attribute, gradient attribute or backward method.
    """

    def __init__(
        self,
        cls: type,
        *,
        name: Optional[str] = None,
        mapping: Union[None, ApiMapping, Mapping[str, Any], str] = None,
        version: Optional[str] = None,
        notes: tuple[str, ...] = (),
    ) -> None:
        if not isinstance(cls, type):
            raise EngineLoadError(f"cls={cls!r} must be a class, got {type(cls).__name__}")
        self.cls = cls
        self.name = name or f"{cls.__module__}:{cls.__qualname__}"
        self.mapping = load_mapping(mapping, spec=self.name)
        self.version = version
        self.report: ProbeReport = probe(cls, self.mapping)
        self.report.notes[:0] = notes
        if self.report.error is not None or self.report.api is None:
            raise EngineLoadError(f"engine {self.name!r} is not usable: {self.report.error}")
        self.api: ValueApi = self.report.api
        self.supported_ops: frozenset[str] = self.report.supported_ops
        self.dtype: str = self.report.dtype

    def run(self, graph: Graph, point: Point) -> EngineResult:
        """Build ``graph`` fresh at ``point``, run backward and read values and gradients.

        Exceptions of the engine go into ``failure``; a ``point`` without a
        value for some input raises ``InvalidArgument``.
        """
        return execute(self.api, graph, point).result

    def check_state(self, graph: Graph, point: Point) -> list[tuple[str, str]]:
        """Return findings of the backward-twice and reuse-after-backward checks."""
        return check_state(self.api, graph, point)

    def __repr__(self) -> str:
        return f"ValueLikeEngine({self.name!r}, ops={len(self.supported_ops)})"
