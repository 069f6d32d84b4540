"""Broken and re-written variants of the reference engine.

Each broken variant changes one rule of ``engines.reference.Value`` and
comes with a graph and point that exercise the fault.  The variants under
``CORRECT_VARIANTS`` compute the same maths with different code and must
never be reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engines._reference_engine import REFERENCE_APPLY, ReferenceEngine
from engines.reference import Value
from oracle import OPS


class VariantEngine(ReferenceEngine):
    """The reference graph runner on another Value class."""

    def __init__(self, value_class: type, name: str) -> None:
        self.value_class = value_class
        self.name = name

    def build(self, graph, point):
        leaves = {name: self.value_class(point[name]) for name in graph.inputs}
        nodes = []
        for node in graph.nodes:
            args = [
                arg.value if hasattr(arg, "value") else leaves[arg] if isinstance(arg, str) else nodes[arg]
                for arg in node.args
            ]
            if node.op in ("max", "min"):
                first = args[0] if isinstance(args[0], Value) else self.value_class(args[0])
                nodes.append(getattr(first, node.op)(args[1]))
            else:
                nodes.append(REFERENCE_APPLY[node.op](*args))
        return leaves, nodes


# --- faults in backward ---------------------------------------------------------


class OverwriteValue(Value):
    """Gradients are assigned instead of accumulated (a shared node keeps one share)."""

    def backward(self):
        order = self.topological_order()
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            for parent, local in zip(node._parents, node._local):
                parent.grad = local * node.grad


class WrongOrderValue(Value):
    """Backward walks the topological order forwards instead of in reverse."""

    def backward(self):
        order = self.topological_order()
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in order:
            for parent, local in zip(node._parents, node._local):
                parent.grad += local * node.grad


def _method_for(op_name: str) -> str:
    return {
        "add": "__add__", "sub": "__sub__", "mul": "__mul__", "div": "__truediv__", "neg": "__neg__",
        "pow": "__pow__", "rpow": "__rpow__", "powv": "__pow__", "abs": "__abs__",
    }.get(op_name, op_name)


def wrong_local(op_name: str, change) -> type:
    """A Value class whose ``op_name`` local derivatives go through ``change(locals, out, args)``."""
    method = _method_for(op_name)
    original = getattr(Value, method)

    def patched(self, *args):
        out = original(self, *args)
        if out.op == op_name:
            out._local = change(out._local, out, (self, *args))
        return out

    return type(f"Wrong_{op_name}", (Value,), {method: patched, "__doc__": f"Wrong local derivative of {op_name}."})


def _scaled(local, out, args):
    return tuple(slope * 1.5 + (0.25 if slope == 0 else 0.0) for slope in local)


# Graph and point per op, chosen where the op's true local derivative is
# nonzero and the output depends on it.
OP_PROBES = {
    "add": ("x + y", {"x": 0.5, "y": 1.25}),
    "sub": ("x - y", {"x": 0.5, "y": 1.25}),
    "mul": ("x*y", {"x": 0.5, "y": 1.25}),
    "div": ("x/y", {"x": 0.5, "y": 1.25}),
    "neg": ("-x", {"x": 0.5}),
    "pow": ("x**3", {"x": 2.0}),
    "rpow": ("2**x", {"x": 1.5}),
    "powv": ("x**y", {"x": 1.5, "y": 2.5}),
    "exp": ("exp(x)", {"x": 0.5}),
    "log": ("log(x)", {"x": 1.5}),
    "tanh": ("tanh(x)", {"x": 0.5}),
    "sigmoid": ("sigmoid(x)", {"x": 0.5}),
    "relu": ("relu(x)", {"x": 0.5}),
    "sin": ("sin(x)", {"x": 0.5}),
    "cos": ("cos(x)", {"x": 0.5}),
    "sqrt": ("sqrt(x)", {"x": 1.5}),
    "abs": ("abs(x)", {"x": -0.5}),
    "max": ("max(x, y)", {"x": 0.5, "y": 1.25}),
    "min": ("min(x, y)", {"x": 0.5, "y": 1.25}),
}
assert set(OP_PROBES) == set(OPS), "every op in the table needs a probe"


@dataclass(frozen=True)
class BrokenCase:
    name: str
    value_class: type
    expression: str
    point: dict
    #: Divergence kinds the verdict may carry for this fault.
    kinds: frozenset
    #: The op whose rule is wrong, for localisation; None for whole-engine faults.
    faulty_op: str | None = None


def _realistic(op_name, change):
    return wrong_local(op_name, change)


BROKEN: list[BrokenCase] = [
    BrokenCase("overwrite", OverwriteValue, "t = x*y; t*t + t", {"x": 1.5, "y": -2.0}, frozenset({"wrong-gradient"})),
    BrokenCase("wrong-order", WrongOrderValue, "(a*b + c)*f", {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0},
               frozenset({"wrong-gradient"})),
    BrokenCase("tanh-one-minus-t", _realistic("tanh", lambda local, out, args: (1 - out.data,)),
               "tanh(x)", {"x": 0.5}, frozenset({"wrong-gradient"}), "tanh"),
    BrokenCase("sigmoid-is-s", _realistic("sigmoid", lambda local, out, args: (out.data,)),
               "sigmoid(x)", {"x": 0.5}, frozenset({"wrong-gradient"}), "sigmoid"),
    BrokenCase("pow-two-x", _realistic("pow", lambda local, out, args: (2 * args[0].data,)),
               "x**3", {"x": 2.0}, frozenset({"wrong-gradient"}), "pow"),
    BrokenCase("rsub-reversed", type("RsubReversed", (Value,), {
        "__rsub__": lambda self, other: self - other, "__doc__": "2 - x computed as x - 2."}),
        "2 - x", {"x": 0.5}, frozenset({"wrong-value", "wrong-gradient"}), "sub"),
    BrokenCase("rpow-as-square", _realistic("rpow", lambda local, out, args: (2 * args[0].data,)),
               "2**x", {"x": 1.5}, frozenset({"wrong-gradient"}), "rpow"),
    BrokenCase("relu-kink-two", _realistic("relu", lambda local, out, args: (2.0,) if args[0].data == 0 else local),
               "relu(x)", {"x": 0.0}, frozenset({"kink-outside-range"}), "relu"),
    BrokenCase("abs-kink-nan", _realistic("abs", lambda local, out, args: (math.nan,) if args[0].data == 0 else local),
               "abs(x)", {"x": 0.0}, frozenset({"non-finite"}), "abs"),
    BrokenCase("exp-one-ppm", _realistic("exp", lambda local, out, args: (local[0] * (1 + 1e-6),)),
               "exp(x)*y", {"x": 0.5, "y": 1.25}, frozenset({"wrong-gradient"}), "exp"),
] + [
    BrokenCase(f"{name}-scaled", wrong_local(name, _scaled), expression, point, frozenset({"wrong-gradient"}), name)
    for name, (expression, point) in OP_PROBES.items()
]


# --- the same maths with other code ---------------------------------------------


class ComposedValue(Value):
    """sub as add of neg, div as mul by a power of -1, neg as mul by -1, sqrt as **0.5."""

    def __sub__(self, other):
        return self + (-self._lift(other))

    def __rsub__(self, other):
        return self._lift(other) + (-self)

    def __truediv__(self, other):
        return self * self._lift(other) ** -1.0

    def __rtruediv__(self, other):
        return self._lift(other) * self**-1.0

    def __neg__(self):
        return self * -1.0

    def sqrt(self):
        return self**0.5


class KahnValue(Value):
    """Backward in an order found by Kahn's algorithm, summing shares in another order."""

    def backward(self):
        order = self.topological_order()
        consumers = {id(node): 0 for node in order}
        for node in order:
            for parent in node._parents:
                consumers[id(parent)] += 1
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        ready = [self]
        while ready:
            node = ready.pop(0)
            for parent, local in reversed(list(zip(node._parents, node._local))):
                parent.grad += local * node.grad
                consumers[id(parent)] -= 1
                if consumers[id(parent)] == 0:
                    ready.append(parent)


class HalfReluValue(Value):
    """relu'(0) = 1/2 and abs'(0) = 1: other conventions inside the admissible range."""

    def relu(self):
        out = super().relu()
        if self.data == 0:
            out._local = (0.5,)
        return out

    def __abs__(self):
        out = super().__abs__()
        if self.data == 0:
            out._local = (1.0,)
        return out


CORRECT_VARIANTS = {"composed": ComposedValue, "kahn": KahnValue, "half-relu": HalfReluValue}
