"""Run graphs of the IR on the reference ``Value`` class."""

from __future__ import annotations

import operator
from typing import Any, Callable

from oracle._graph import Const, Graph, Point
from oracle._ops import OP_NAMES

from ._result import EngineResult
from .reference import Value

__all__ = ["ReferenceEngine", "REFERENCE_APPLY"]

# The call that applies each op of the table to Value objects.  Constants are passed
# as plain floats so that ``2 - x`` goes through ``__rsub__`` as in user code.
REFERENCE_APPLY: dict[str, Callable[..., Any]] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "neg": operator.neg,
    "pow": operator.pow,
    "rpow": operator.pow,
    "powv": operator.pow,
    "exp": lambda a: a.exp(),
    "log": lambda a: a.log(),
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "relu": lambda a: a.relu(),
    "sin": lambda a: a.sin(),
    "cos": lambda a: a.cos(),
    "sqrt": lambda a: a.sqrt(),
    "abs": abs,
    "max": lambda a, b: Value._lift(a).max(b),
    "min": lambda a, b: Value._lift(a).min(b),
}


class ReferenceEngine:
    """The float64 reference engine behind the ``Engine`` protocol."""

    name = "reference"
    dtype = "float64"
    supported_ops = frozenset(OP_NAMES)
    version = None

    def build(self, graph: Graph, point: Point) -> tuple[dict[str, Value], list[Value]]:
        """Return fresh leaves for the inputs and one Value per graph node."""
        leaves = {name: Value(point[name]) for name in graph.inputs}
        nodes: list[Value] = []
        for node in graph.nodes:
            args = [
                arg.value if isinstance(arg, Const) else leaves[arg] if isinstance(arg, str) else nodes[arg]
                for arg in node.args
            ]
            nodes.append(REFERENCE_APPLY[node.op](*args))
        return leaves, nodes

    def run(self, graph: Graph, point: Point) -> EngineResult:
        leaves, nodes = self.build(graph, point)
        output = nodes[graph.output]
        output.backward()
        return EngineResult(
            value=output.data,
            gradient={name: leaf.grad for name, leaf in leaves.items()},
            node_values=[node.data for node in nodes],
            node_adjoints=[node.grad for node in nodes],
        )
