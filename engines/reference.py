"""The reference reverse-mode engine: micrograd's shape, float64, no traps.

Each op computes its output and its local derivatives side by side; backward
then multiplies local derivatives by the output's gradient in reverse
topological order.  Unlike micrograd, parents are an ordered tuple (the sum
into a shared node is the same on every run), the topological sort is
iterative (graphs may be thousands of levels deep), every backward starts from
fresh float gradients, and float64 follows IEEE semantics instead of raising:
exp overflow gives inf, log(0) gives -inf, sqrt(-1) gives nan.

Conventions at kinks: relu'(0) = 0, abs'(0) = 0, max and min split a tie 1/2
and 1/2, sqrt'(0) = +inf.
"""

from __future__ import annotations

import math
from typing import Union

__all__ = ["Value"]

Number = Union[int, float]
INF = math.inf


def _ieee(function, *args: float) -> float:
    """Call a math function, mapping Python's exceptions to IEEE results."""
    try:
        return function(*args)
    except OverflowError:
        return INF
    except (ValueError, ZeroDivisionError):
        return math.nan


def _divide(a: float, b: float) -> float:
    if b != 0:
        return a / b
    if a == 0 or math.isnan(a):
        return math.nan
    return math.copysign(INF, a) * math.copysign(1.0, b)


def _power(base: float, exponent: float) -> float:
    if exponent == 0:
        return 1.0
    if base == 0 and exponent < 0:
        odd = exponent.is_integer() and exponent % 2 == 1
        return math.copysign(INF, base) if odd else INF
    try:
        return math.pow(base, exponent)
    except OverflowError:
        odd = exponent.is_integer() and exponent % 2 == 1
        return -INF if base < 0 and odd else INF
    except ValueError:
        return math.nan


def _power_slope(base: float, exponent: float) -> float:
    """d(base**exponent)/d(base), exact at base 0 and exponent 0."""
    if exponent == 0:
        return 0.0
    if base == 0:
        if exponent == 1:
            return 1.0
        return 0.0 if exponent > 1 else INF
    return exponent * _power(base, exponent - 1)


def _sigmoid(x: float) -> float:
    e = _ieee(math.exp, -abs(x))
    return 1 / (1 + e) if x >= 0 else e / (1 + e)


class Value:
    """A float64 scalar that records how it was computed."""

    __slots__ = ("data", "grad", "_parents", "_local", "op")

    def __init__(self, data: Number, _parents: tuple = (), _local: tuple = (), op: str = ""):
        self.data = float(data)
        self.grad = 0.0
        self._parents = _parents  # ordered: the chain rule sums in this order
        self._local = _local  # d(self)/d(parent), one per parent
        self.op = op

    @classmethod
    def _lift(cls, other: Union["Value", Number]) -> "Value":
        return other if isinstance(other, Value) else cls(other)

    # type(self) keeps subclasses (test doubles) closed under every op.
    def _unary(self, data: float, slope: float, op: str) -> "Value":
        return type(self)(data, (self,), (slope,), op)

    def _binary(self, other: "Value", data: float, slopes: tuple, op: str) -> "Value":
        return type(self)(data, (self, other), slopes, op)

    # --- arithmetic: forward value, then local derivatives --------------

    def __add__(self, other):
        other = self._lift(other)
        out = self.data + other.data
        return self._binary(other, out, (1.0, 1.0), "add")

    def __sub__(self, other):
        other = self._lift(other)
        out = self.data - other.data
        return self._binary(other, out, (1.0, -1.0), "sub")

    def __mul__(self, other):
        other = self._lift(other)
        out = self.data * other.data
        return self._binary(other, out, (other.data, self.data), "mul")

    def __truediv__(self, other):
        other = self._lift(other)
        out = _divide(self.data, other.data)
        return self._binary(other, out, (_divide(1.0, other.data), -_divide(out, other.data)), "div")

    def __neg__(self):
        return self._unary(-self.data, -1.0, "neg")

    def __pow__(self, other):
        if isinstance(other, Value):  # powv: both base and exponent vary
            out = _power(self.data, other.data)
            return self._binary(other, out, (_power_slope(self.data, other.data), self._log_slope(out, self.data, other.data)), "powv")
        exponent = float(other)
        out = _power(self.data, exponent)
        return self._unary(out, _power_slope(self.data, exponent), "pow")

    def __rpow__(self, base):
        base = float(base)
        out = _power(base, self.data)
        return self._unary(out, self._log_slope(out, base, self.data), "rpow")

    @staticmethod
    def _log_slope(out: float, base: float, exponent: float) -> float:
        """d(base**exponent)/d(exponent) = base**exponent * log(base)."""
        if base > 0:
            return out * math.log(base)
        return 0.0 if base == 0 and exponent > 0 else math.nan

    def __radd__(self, other):  # other + self
        return self._lift(other) + self

    def __rsub__(self, other):  # other - self
        return self._lift(other) - self

    def __rmul__(self, other):  # other * self
        return self._lift(other) * self

    def __rtruediv__(self, other):  # other / self
        return self._lift(other) / self

    # --- functions -------------------------------------------------------

    def exp(self):
        out = _ieee(math.exp, self.data)
        return self._unary(out, out, "exp")

    def log(self):
        x = self.data
        if x > 0:
            out = math.log(x)
        else:
            out = -INF if x == 0 else math.nan
        return self._unary(out, _divide(1.0, x), "log")

    def tanh(self):
        out = math.tanh(self.data)
        cosh = _ieee(math.cosh, self.data)
        return self._unary(out, 1 / (cosh * cosh), "tanh")  # sech**2 keeps tail accuracy

    def sigmoid(self):
        out = _sigmoid(self.data)
        return self._unary(out, _sigmoid(self.data) * _sigmoid(-self.data), "sigmoid")

    def relu(self):
        out = self.data if self.data > 0 else 0.0
        return self._unary(out, 1.0 if self.data > 0 else 0.0, "relu")

    def sin(self):
        return self._unary(_ieee(math.sin, self.data), _ieee(math.cos, self.data), "sin")

    def cos(self):
        return self._unary(_ieee(math.cos, self.data), -_ieee(math.sin, self.data), "cos")

    def sqrt(self):
        out = _ieee(math.sqrt, self.data)
        return self._unary(out, _divide(0.5, out), "sqrt")

    def __abs__(self):
        x = self.data
        if x > 0:
            slope = 1.0
        elif x < 0:
            slope = -1.0
        else:
            slope = 0.0  # abs'(0) = 0; a nan operand also lands here
        return self._unary(abs(x), slope, "abs")

    def max(self, other):
        other = self._lift(other)
        a, b = self.data, other.data
        slopes = (1.0, 0.0) if a > b else (0.0, 1.0) if a < b else (0.5, 0.5)
        return self._binary(other, max(a, b), slopes, "max")

    def min(self, other):
        other = self._lift(other)
        a, b = self.data, other.data
        slopes = (1.0, 0.0) if a < b else (0.0, 1.0) if a > b else (0.5, 0.5)
        return self._binary(other, min(a, b), slopes, "min")

    # --- backward ----------------------------------------------------------

    def topological_order(self) -> list["Value"]:
        """Return every node this one depends on, parents before children, without recursion."""
        order: list[Value] = []
        visited: set[int] = set()
        stack: list[tuple[Value, bool]] = [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in visited:
                continue
            visited.add(id(node))
            stack.append((node, True))
            for parent in reversed(node._parents):
                if id(parent) not in visited:
                    stack.append((parent, False))
        return order

    def backward(self) -> None:
        """Set ``grad`` of every node to d(self)/d(node), starting from zero."""
        order = self.topological_order()
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            for parent, local in zip(node._parents, node._local):
                parent.grad += local * node.grad

    def __repr__(self) -> str:
        return f"Value(data={self.data!r}, grad={self.grad!r})"



def __getattr__(name: str):
    # ReferenceEngine (the graph runner) lives beside this file; importing it
    # lazily keeps this module free of the graph IR and avoids a cycle.
    if name == "ReferenceEngine":
        from ._reference_engine import ReferenceEngine

        return ReferenceEngine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
