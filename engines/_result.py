"""The result every engine returns, and the protocol every engine implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Optional, Protocol, runtime_checkable

from oracle._graph import Graph, Point

__all__ = ["Engine", "EngineResult", "Failure", "Phase"]

#: Where a run failed: building the graph, the forward pass, the backward
#: pass, a time limit, the wire protocol of a process engine, or state kept
#: across calls (backward twice, reuse after backward).
Phase = Literal["build", "forward", "backward", "timeout", "protocol", "state"]


@dataclass(frozen=True)
class Failure:
    """An exception raised by an engine, a time-out or a protocol violation."""

    phase: Phase
    error_type: str
    message: str

    def __str__(self) -> str:
        return f"{self.phase}: {self.error_type}: {self.message}"


@dataclass
class EngineResult:
    """One forward and backward run of one engine on one graph and point.

    ``gradient`` maps every input name to d(output)/d(input); ``None`` marks a
    gradient the engine did not produce.  ``node_values`` and
    ``node_adjoints`` are aligned with ``graph.nodes`` when the engine exposes
    per-node data (micrograd-style engines do), else ``None``.  When
    ``failure`` is set the numeric fields hold whatever was computed before it.
    """

    value: Optional[float]
    gradient: dict[str, Optional[float]] = field(default_factory=dict)
    node_values: Optional[list[Optional[float]]] = None
    node_adjoints: Optional[list[Optional[float]]] = None
    failure: Optional[Failure] = None
    #: Findings about state kept across calls, as (check name, message) pairs.
    state_findings: list[tuple[str, str]] = field(default_factory=list)


@runtime_checkable
class Engine(Protocol):
    """Anything that can build a graph, run it forward and backward, and report.

    ``run`` must build a fresh graph every time, so that no state leaks from
    one example to the next, and must not raise for failures of the engine
    under test: those go into ``EngineResult.failure``.
    """

    #: The spec or display name, as shown in reports.
    name: str
    #: Op names from the op table that this engine can run.
    supported_ops: frozenset[str]
    #: "float64" or "float32": selects the tolerance the engine is judged by.
    dtype: str

    def run(self, graph: Graph, point: Point) -> EngineResult: ...
