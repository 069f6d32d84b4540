"""Build a graph as a PyTorch function of scalar tensors, for ``torch.autograd.gradcheck``.

``gradcheck`` needs a function of tensors; the op mapping is the PyTorch
adapter's own, so gradcheck and the adapter compute the same graph.
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from engines._framework import evaluate_nodes
from engines._torch import TorchEngine
from oracle._graph import Graph

DTYPE = torch.float64
#: The PyTorch adapter's op mapping, float64.
OP_FUNCTIONS: dict[str, Callable[..., Any]] = TorchEngine("float64").op_functions


def torch_function(graph: Graph) -> Callable[..., Any]:
    """Return ``f(*tensors)`` computing the graph's output, one tensor per input in ``graph.inputs`` order."""

    def function(*tensors: Any) -> Any:
        leaves = dict(zip(graph.inputs, tensors))
        return evaluate_nodes(graph, leaves, OP_FUNCTIONS)[graph.output]

    return function


def torch_inputs(graph: Graph, point: dict[str, float]) -> tuple[Any, ...]:
    """Return one float64 scalar tensor per input, requiring a gradient."""
    return tuple(torch.tensor(point[name], dtype=DTYPE, requires_grad=True) for name in graph.inputs)


def gradcheck_example(graph: Graph, point: dict[str, float], *, fast_mode: bool) -> bool:
    """Run ``torch.autograd.gradcheck`` on one example; return whether it passed.

    ``raise_exception=False`` turns a mismatch into ``False``: at kinks,
    domain edges and extreme points gradcheck's finite differences often
    disagree with torch's analytic gradient, and those runs are timed too.
    """
    return bool(
        torch.autograd.gradcheck(
            torch_function(graph), torch_inputs(graph, point), fast_mode=fast_mode, raise_exception=False
        )
    )
