"""Name the first op whose rule is wrong, from an engine's per-node data.

Forward: the first node in topological order whose value is outside what
the engine's float format can attain has a wrong forward rule (its operands
were right).  Backward: walking in reverse topological order, the first node
or input whose adjoint is wrong while every consumer's adjoint is right was
handed a wrong share by one of those consumers' backward rules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from engines._result import EngineResult

    from ._truth import Truth

__all__ = ["Blame", "localise", "refine_blame"]


@dataclass
class Blame:
    """The op a divergence is traced to."""

    node: int
    op: str
    #: "forward" (the op's value is wrong) or "backward" (its local derivative).
    rule: str
    #: The node or input that received the wrong adjoint (backward only).
    operand: Optional[str]
    received_adjoint: Optional[float]
    passed: Optional[float]
    expected: Optional[str]
    #: Other consumers that could share the blame when one input has several.
    alternatives: tuple[int, ...] = ()

    def describe(self, labels: list[str]) -> str:
        name = labels[self.node]
        if self.rule == "forward":
            return f"forward rule of {self.op} at {name}: value {self.passed!r}, truth {self.expected}"
        others = ", ".join(labels[i] for i in self.alternatives)
        shared = f" (or one of {others})" if others else ""
        return (
            f"backward rule of {self.op} at {name}{shared}: it received adjoint {self.received_adjoint!r}, "
            f"and the adjoint of {self.operand} came out {self.passed!r} instead of {self.expected}"
        )


def _inside(ball, value: Optional[float]) -> bool:
    if value is None:
        return False
    if math.isnan(value):
        return False
    return ball.contains(value)


def localise(truth: "Truth", result: "EngineResult", dtype: str = "float64") -> Optional[Blame]:
    """Return the blamed op, or None when the engine exposes no per-node data
    or every node agrees."""
    from mpmath import nstr

    if truth.status != "ok" or result.node_values is None:
        return None
    graph = truth.graph
    attainable = truth.attainable(dtype)
    values = result.node_values
    for index, ball in enumerate(attainable.values):
        if index < len(values) and not _inside(ball, values[index]):
            return Blame(index, graph.nodes[index].op, "forward", None, None, values[index], nstr(ball.centre, 17))

    adjoints = result.node_adjoints
    if adjoints is None:
        return None
    consumers: dict[object, list[int]] = {}
    for index, node in enumerate(graph.nodes):
        for arg in node.args:
            if isinstance(arg, (int, str)):
                consumers.setdefault(arg, [])
                if index not in consumers[arg]:
                    consumers[arg].append(index)

    def node_ok(index: int) -> bool:
        return index < len(adjoints) and _inside(attainable.adjoints[index], adjoints[index])

    # Reverse topological order: nodes from the output back, then inputs.
    for index in range(len(graph.nodes) - 1, -1, -1):
        if node_ok(index):
            continue
        users = consumers.get(index, [])
        if index == graph.output or not users:
            continue
        if all(node_ok(user) for user in users):
            return _backward_blame(graph, truth, attainable.adjoints[index], adjoints, users, graph.node_label(index), adjoints[index])
    for name in graph.inputs:
        value = result.gradient.get(name)
        if _inside(attainable.gradient[name], value):
            continue
        users = consumers.get(name, [])
        if users and all(node_ok(user) for user in users):
            return _backward_blame(graph, truth, attainable.gradient[name], adjoints, users, name, value)
    return None


def _backward_blame(graph, truth, ball, adjoints, users, operand, passed) -> Blame:
    from mpmath import nstr

    first = users[-1]
    return Blame(
        node=first,
        op=graph.nodes[first].op,
        rule="backward",
        operand=operand,
        received_adjoint=adjoints[first],
        passed=passed,
        expected=nstr(ball.centre, 17),
        alternatives=tuple(users[:-1]),
    )


def refine_blame(engine: object, truth: "Truth", result: "EngineResult", blame: Blame) -> Blame:
    """Settle a blame shared by several consumers by experiment.

    The adjoints only show that one of the ops reading the wrong node is
    at fault.  Each candidate op is run alone on the engine, at the same
    operand values, and the first one that diverges is blamed.
    """
    from ._check import check
    from ._graph import Const, Graph, Node

    if blame.rule != "backward" or not blame.alternatives:
        return blame
    graph = truth.graph
    for candidate in (blame.node, *blame.alternatives):
        node = graph.nodes[candidate]
        inputs: list[str] = []
        point: dict[str, float] = {}
        args = []
        for position, arg in enumerate(node.args):
            if isinstance(arg, Const):
                args.append(arg)
                continue
            name = "uvw"[position]
            value = truth.point[arg] if isinstance(arg, str) else float(truth.node_values[arg])
            if not math.isfinite(value):
                break
            inputs.append(name)
            point[name] = value
            args.append(name)
        else:
            alone = Graph(tuple(inputs), (Node(node.op, tuple(args)),))
            if not check(engine, alone, point).ok:
                received = None if result.node_adjoints is None else result.node_adjoints[candidate]
                return Blame(candidate, node.op, "backward", blame.operand, received, blame.passed, blame.expected)
    return blame
