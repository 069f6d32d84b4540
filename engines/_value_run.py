"""Build, run and read one graph on a micrograd-style class without raising.

Phases of a failure: ``build`` covers creating leaves and finding the op's
form, ``forward`` covers applying ops (micrograd-style engines compute values
eagerly) and reading their values, ``backward`` covers the backward call and
reading gradients.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Optional

from oracle._errors import InvalidArgument
from oracle._graph import Const, Graph, Point

from ._result import EngineResult, Failure, Phase
from ._value_api import ValueApi

__all__ = ["Execution", "PhaseError", "build_graph", "execute", "read_gradients"]


class PhaseError(Exception):
    """An exception of the engine under test, tagged with the phase it hit."""

    def __init__(self, phase: Phase, error: BaseException, context: str = "") -> None:
        self.phase = phase
        self.error = error
        message = str(error) or type(error).__name__
        self.failure = Failure(phase, type(error).__name__, f"{context}: {message}" if context else message)
        super().__init__(str(self.failure))


@dataclass
class Execution:
    """The result of one run plus the live engine objects, for state checks."""

    result: EngineResult
    leaves: dict[str, Any] = field(default_factory=dict)
    nodes: list[Any] = field(default_factory=list)


def _node_context(graph: Graph, index: int) -> str:
    return f"node {graph.node_label(index)} ({graph.nodes[index].op})"


def build_graph(
    api: ValueApi,
    graph: Graph,
    point: Point,
    leaves: dict[str, Any],
    nodes: list[Any],
    values: Optional[list[Optional[float]]] = None,
) -> None:
    """Create fresh leaves and apply every op, appending objects to ``leaves`` and ``nodes``.

    Raises ``PhaseError``, or ``InvalidArgument`` when ``point`` lacks an input.  ``values`` receives each node's value as soon as
    it is computed, so a later failure keeps the earlier values.
    """
    for name in graph.inputs:
        if name not in point:
            raise InvalidArgument(f"point={dict(point)!r} has no value for input {name!r}; give every input a float")
        try:
            leaves[name] = api.make_leaf(float(point[name]))
        except Exception as error:
            raise PhaseError("build", error, f"creating leaf {name}={point[name]!r}") from error
    for index, node in enumerate(graph.nodes):
        context = _node_context(graph, index)
        if node.op not in api.ops:
            raise PhaseError("build", NotImplementedError(f"op {node.op!r} has no working form on this engine"), context)
        args: list[Any] = []
        for arg in node.args:
            if isinstance(arg, Const):
                args.append(arg.value)
            elif isinstance(arg, str):
                args.append(leaves[arg])
            else:
                args.append(nodes[arg])
        try:
            obj = api.apply(node.op, args)
        except Exception as error:
            raise PhaseError("forward", error, context) from error
        nodes.append(obj)
        try:
            value = api.read_data(obj)
        except Exception as error:
            raise PhaseError("forward", error, f"{context} returned {type(obj).__name__}, reading its value") from error
        if values is not None:
            values[index] = value


def read_gradients(api: ValueApi, leaves: dict[str, Any]) -> dict[str, Optional[float]]:
    """Return each leaf's gradient; raises ``PhaseError`` (phase backward) if one is not a number."""
    gradient: dict[str, Optional[float]] = {}
    for name, leaf in leaves.items():
        try:
            gradient[name] = api.read_grad(leaf)
        except Exception as error:
            raise PhaseError("backward", error, f"gradient of input {name}") from error
    return gradient


def execute(api: ValueApi, graph: Graph, point: Point) -> Execution:
    """Build ``graph`` fresh, run backward on its output and read everything back.

    Exceptions of the engine under test (any ``Exception``, RecursionError
    included) become ``result.failure``; only ``InvalidArgument`` for a point
    without a value for some input escapes.  Warnings raised
    inside the engine (numpy's overflow warnings, for example) are ignored,
    so the numbers do not depend on the caller's warning filters.
    """
    result = EngineResult(value=None)
    execution = Execution(result)
    values: list[Optional[float]] = [None] * len(graph.nodes)
    result.node_values = values
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            build_graph(api, graph, point, execution.leaves, execution.nodes, values)
            result.value = values[graph.output]
            try:
                api.run_backward(execution.nodes[graph.output])
            except Exception as error:
                raise PhaseError("backward", error, "calling " + api.backward + "() on the output") from error
            result.gradient = read_gradients(api, execution.leaves)
            adjoints: list[Optional[float]] = [None] * len(graph.nodes)
            result.node_adjoints = adjoints
            for index, obj in enumerate(execution.nodes):
                try:
                    adjoints[index] = api.read_grad(obj)
                except Exception as error:
                    raise PhaseError("backward", error, f"gradient of {_node_context(graph, index)}") from error
        except PhaseError as failed:
            result.failure = failed.failure
    return execution
