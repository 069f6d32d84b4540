"""Build a graph as a PyTorch function of scalar tensors, for ``torch.autograd.gradcheck``.

``gradcheck`` needs a function of tensors, and the PyTorch adapter keeps its
op mapping private, so this module maps the op table onto torch itself.
"""

from __future__ import annotations

import operator
from typing import Any, Callable

import torch

from engines._framework import evaluate_nodes
from oracle._graph import Graph

DTYPE = torch.float64


def _tensor(value: Any) -> Any:
    # torch.maximum and torch.minimum take tensors only, so a constant operand
    # becomes a float64 tensor without a gradient.
    return torch.tensor(value, dtype=DTYPE) if isinstance(value, float) else value


OP_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "neg": torch.neg,
    "pow": torch.pow,
    "rpow": operator.pow,  # float ** tensor goes through Tensor.__rpow__
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
    "max": lambda a, b: torch.maximum(_tensor(a), _tensor(b)),
    "min": lambda a, b: torch.minimum(_tensor(a), _tensor(b)),
}


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
