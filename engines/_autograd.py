"""HIPS autograd adapter: runs graphs over ``autograd.numpy`` in float64.

The graph becomes a function of one tuple of NumPy float64 scalars, and
``autograd.make_vjp`` splits the forward pass from the backward pass.  autograd
has no relu, so relu is ``maximum(x, 0.0)``, the form autograd's own examples
use, and sigmoid is ``autograd.scipy.special.expit``.  NumPy's floating-point
warnings are silenced during a run so that log(0), 1/0 and overflow give IEEE
results as in the other engines.  autograd exposes no per-node adjoints, so
``node_adjoints`` is None.  An input the output does not use gets gradient 0.0.
"""

from __future__ import annotations

import operator
from typing import Any, Callable

from oracle._graph import Graph, Point

from ._framework import evaluate_nodes, failure_from, import_framework, to_float, unsupported_ops_failure
from ._result import EngineResult, Phase

__all__ = ["AutogradEngine"]


class AutogradEngine:
    """The ``Engine`` protocol on HIPS autograd (``autograd``), float64 only."""

    name = "autograd"
    dtype = "float64"

    def __init__(self) -> None:
        self._autograd = import_framework("autograd", "autograd")
        self._anp = import_framework("autograd.numpy", "autograd")
        self._special = import_framework("autograd.scipy.special", "autograd")
        self._getval = import_framework("autograd.tracer", "autograd").getval
        self._numpy = import_framework("numpy", "autograd")
        from importlib.metadata import version

        self.version: str = version("autograd")
        self._apply = self._apply_table()
        self.supported_ops: frozenset[str] = frozenset(self._apply)

    def _apply_table(self) -> dict[str, Callable[..., Any]]:
        anp = self._anp
        return {
            "add": operator.add,
            "sub": operator.sub,
            "mul": operator.mul,
            "div": operator.truediv,
            "neg": anp.negative,
            "pow": operator.pow,  # box ** Python float, through ArrayBox.__pow__
            "rpow": operator.pow,  # Python float ** box, through ArrayBox.__rpow__
            "powv": anp.power,
            "exp": anp.exp,
            "log": anp.log,
            "tanh": anp.tanh,
            "sigmoid": self._special.expit,
            "relu": lambda a: anp.maximum(a, 0.0),
            "sin": anp.sin,
            "cos": anp.cos,
            "sqrt": anp.sqrt,
            "abs": anp.abs,
            "max": anp.maximum,
            "min": anp.minimum,
        }

    def run(self, graph: Graph, point: Point) -> EngineResult:
        """Run ``autograd.make_vjp`` of the graph's function at ``point`` and pull back 1.0."""
        failure = unsupported_ops_failure(graph, self.supported_ops)
        if failure is not None:
            return EngineResult(value=None, failure=failure)

        with self._numpy.errstate(all="ignore"):
            return self._run(graph, point)

    def _run(self, graph: Graph, point: Point) -> EngineResult:
        numpy = self._numpy
        result = EngineResult(value=None)
        names = graph.inputs
        node_values: list[float] = []

        def function(leaves: tuple[Any, ...]) -> Any:
            nodes = evaluate_nodes(graph, dict(zip(names, leaves)), self._apply)
            node_values.extend(to_float(self._getval(node)) for node in nodes)
            return nodes[graph.output]

        phase: Phase = "build"
        try:
            leaves = tuple(numpy.float64(point[name]) for name in names)

            phase = "forward"
            pullback, output = self._autograd.make_vjp(function)(leaves)
            result.value = to_float(output)
            result.node_values = node_values

            phase = "backward"
            gradients = pullback(numpy.float64(1.0))
            result.gradient = {name: to_float(gradient) for name, gradient in zip(names, gradients)}
        except Exception as error:  # a framework error goes into the result instead of propagating
            result.failure = failure_from(phase, error)
        return result
