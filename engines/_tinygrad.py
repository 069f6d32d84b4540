"""tinygrad adapter: runs graphs on tinygrad scalar tensors in float32 or float64.

Device: tinygrad 0.14's CPU device compiles every kernel, and even its own
queue programs when it opens, with clang, and it fails when clang is missing.
The adapter therefore defaults to tinygrad's PYTHON device, which interprets
the same kernels in Python and needs no compiler.  Pass ``device="CPU"`` (or
any tinygrad device name) to check another backend.  The device is set with
tinygrad's ``Context(DEV=...)`` for the duration of each run only, so the
adapter sets no environment variable and changes no global state.

tinygrad 0.14 has no ``requires_grad``: ``Tensor.backward()`` fills ``.grad`` of
every live float tensor the output depends on, interior nodes included, so the
result carries per-node adjoints.  A node or an input the output does not
depend on keeps ``grad`` None and is reported as None.  Leaves are one-element
buffers reshaped to scalars, because a tensor made from a bare Python float
is a constant with no device.

Importing tinygrad 0.14 raises the interpreter's recursion limit to 10000
(``tinygrad/schedule/rangeify.py`` calls ``sys.setrecursionlimit``).  The
adapter restores the caller's limit after the import and raises it to
tinygrad's value only for the duration of each run, so code that relies on
the usual limit, such as tests of recursion failures, is not affected.
"""

from __future__ import annotations

import operator
import sys
from typing import Any, Callable

from oracle._graph import Graph, Point

from ._framework import check_dtype, evaluate_nodes, failure_from, import_framework, unsupported_ops_failure
from ._result import EngineResult, Phase

__all__ = ["TinygradEngine"]

DEFAULT_DEVICE = "PYTHON"
#: The recursion limit tinygrad 0.14 sets for itself on import.
TINYGRAD_RECURSION_LIMIT = 10000


class TinygradEngine:
    """The ``Engine`` protocol on tinygrad tensors (``tinygrad`` and ``tinygrad-float64``)."""

    def __init__(self, dtype: str = "float32", device: str = DEFAULT_DEVICE) -> None:
        self.dtype = check_dtype("tinygrad", dtype, ("float32", "float64"))
        self.device = device
        recursion_limit = sys.getrecursionlimit()
        try:
            tinygrad = import_framework("tinygrad", "tinygrad")
        finally:
            sys.setrecursionlimit(recursion_limit)
        self._tensor = tinygrad.Tensor
        self._dtype = getattr(tinygrad.dtypes, dtype)
        self._context = import_framework("tinygrad.helpers", "tinygrad").Context
        self.name = "tinygrad" if dtype == "float32" else "tinygrad-float64"
        from importlib.metadata import version

        self.version: str = version("tinygrad")
        self._apply = self._apply_table()
        self.supported_ops: frozenset[str] = frozenset(self._apply)

    def _apply_table(self) -> dict[str, Callable[..., Any]]:
        Tensor = self._tensor

        def tensor(value: Any) -> Any:
            # Tensor.maximum and Tensor.minimum take a constant only as their
            # second operand, so a constant first operand becomes a tensor.
            if isinstance(value, float):
                return Tensor(value, dtype=self._dtype)
            return value

        return {
            "add": operator.add,
            "sub": operator.sub,
            "mul": operator.mul,
            "div": operator.truediv,
            "neg": Tensor.neg,
            "pow": operator.pow,  # tensor ** Python float, through Tensor.__pow__
            "rpow": operator.pow,  # Python float ** tensor, through Tensor.__rpow__
            "powv": Tensor.pow,
            "exp": Tensor.exp,
            "log": Tensor.log,
            "tanh": Tensor.tanh,
            "sigmoid": Tensor.sigmoid,
            "relu": Tensor.relu,
            "sin": Tensor.sin,
            "cos": Tensor.cos,
            "sqrt": Tensor.sqrt,
            "abs": Tensor.abs,
            "max": lambda a, b: tensor(a).maximum(b),
            "min": lambda a, b: tensor(a).minimum(b),
        }

    def run(self, graph: Graph, point: Point) -> EngineResult:
        """Build the graph on fresh leaves, run backward from the output and collect gradients."""
        failure = unsupported_ops_failure(graph, self.supported_ops)
        if failure is not None:
            return EngineResult(value=None, failure=failure)

        recursion_limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(recursion_limit, TINYGRAD_RECURSION_LIMIT))
        try:
            with self._context(DEV=self.device):
                return self._run(graph, point)
        finally:
            sys.setrecursionlimit(recursion_limit)

    def _run(self, graph: Graph, point: Point) -> EngineResult:
        Tensor = self._tensor
        result = EngineResult(value=None)
        phase: Phase = "build"
        try:
            leaves = {
                name: Tensor([float(point[name])], dtype=self._dtype).reshape(()) for name in graph.inputs
            }

            phase = "forward"
            nodes = evaluate_nodes(graph, leaves, self._apply)
            # One stacked read realizes every node value in a single kernel.
            node_values = [float(value) for value in Tensor.stack(*nodes).numpy()]
            result.value = node_values[graph.output]
            result.node_values = node_values

            phase = "backward"
            nodes[graph.output].backward()
            adjoints = _read_all([leaf.grad for leaf in leaves.values()] + [node.grad for node in nodes], Tensor)
            result.gradient = dict(zip(leaves, adjoints))
            result.node_adjoints = adjoints[len(leaves):]
        except Exception as error:  # a framework error goes into the result instead of propagating
            result.failure = failure_from(phase, error)
        return result


def _read_all(gradients: list[Any], Tensor: Any) -> list[float | None]:
    """Read every non-None gradient with one stacked kernel."""
    present = [gradient for gradient in gradients if gradient is not None]
    if not present:
        return [None] * len(gradients)
    values = iter(float(value) for value in Tensor.stack(*present).numpy())
    return [None if gradient is None else next(values) for gradient in gradients]
