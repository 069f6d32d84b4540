"""PyTorch adapter: runs graphs on CPU scalar tensors in float64 or float32.

Every interior node calls ``retain_grad()``, so the result carries per-node
values and adjoints.  A node the output does not depend on, and an input the
output does not use, keep ``grad`` None and are reported as None.
"""

from __future__ import annotations

import operator
from typing import Any, Callable

from oracle._graph import Graph, Point

from ._framework import check_dtype, evaluate_nodes, failure_from, import_framework, to_float, unsupported_ops_failure
from ._result import EngineResult, Phase

__all__ = ["TorchEngine"]


class TorchEngine:
    """The ``Engine`` protocol on PyTorch tensors (``torch`` and ``torch-float32``)."""

    def __init__(self, dtype: str = "float64") -> None:
        self.dtype = check_dtype("torch", dtype, ("float64", "float32"))
        self._torch = import_framework("torch", "torch")
        self._torch_dtype = getattr(self._torch, dtype)
        self.name = "torch" if dtype == "float64" else "torch-float32"
        self.version: str = self._torch.__version__
        self._apply = self._apply_table()
        self.supported_ops: frozenset[str] = frozenset(self._apply)

    @property
    def op_functions(self) -> dict[str, Callable[..., Any]]:
        """The torch function for each op of the table, as the adapter applies them."""
        return dict(self._apply)

    def _apply_table(self) -> dict[str, Callable[..., Any]]:
        torch = self._torch

        def tensor(value: Any) -> Any:
            # torch.maximum and torch.minimum accept tensors only, so a constant
            # operand becomes a tensor of the engine's dtype without a gradient.
            if isinstance(value, float):
                return torch.tensor(value, dtype=self._torch_dtype, device="cpu")
            return value

        table: dict[str, Callable[..., Any]] = {
            "add": operator.add,
            "sub": operator.sub,
            "mul": operator.mul,
            "div": operator.truediv,
            "neg": torch.neg,
            "pow": torch.pow,  # tensor ** Python float
            "rpow": operator.pow,  # Python float ** tensor, through Tensor.__rpow__
            "powv": torch.pow,
            "exp": torch.exp,
            "log": torch.log,
            "tanh": torch.tanh,
            "sigmoid": torch.sigmoid,
            "relu": torch.relu,
            "sin": torch.sin,
            "cos": torch.cos,
            "sqrt": torch.sqrt,
            "abs": torch.abs,
            "max": lambda a, b: torch.maximum(tensor(a), tensor(b)),
            "min": lambda a, b: torch.minimum(tensor(a), tensor(b)),
        }
        return table

    def run(self, graph: Graph, point: Point) -> EngineResult:
        """Build the graph on fresh leaves, run backward from the output and collect gradients."""
        failure = unsupported_ops_failure(graph, self.supported_ops)
        if failure is not None:
            return EngineResult(value=None, failure=failure)

        torch = self._torch
        result = EngineResult(value=None)
        phase: Phase = "build"
        try:
            leaves = {
                name: torch.tensor(float(point[name]), dtype=self._torch_dtype, device="cpu", requires_grad=True)
                for name in graph.inputs
            }
            phase = "forward"
            nodes = evaluate_nodes(graph, leaves, self._apply)
            for node in nodes:
                if node.requires_grad and not node.is_leaf:
                    node.retain_grad()
            output = nodes[graph.output]
            result.value = to_float(output)
            result.node_values = [to_float(node) for node in nodes]

            phase = "backward"
            output.backward()
            result.gradient = {
                name: None if leaf.grad is None else to_float(leaf.grad) for name, leaf in leaves.items()
            }
            result.node_adjoints = [None if node.grad is None else to_float(node.grad) for node in nodes]
        except Exception as error:  # a framework error goes into the result instead of propagating
            result.failure = failure_from(phase, error)
        return result
