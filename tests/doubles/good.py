"""``GoodValue``: a correct micrograd-style engine built for fault injection.

It is float64, keeps parents in order, sorts nodes without recursion and
starts every backward from zero gradients.  Each local derivative is its own
method (``_slope_tanh``) and so are accumulation, ordering and propagation,
so a broken double overrides exactly one of them.  Floating-point edge cases
follow IEEE results instead of raising: exp overflow gives inf, log(0) gives
-inf and sqrt(-1) gives nan.  Kink conventions: relu'(0) = 0, abs'(0) = 0,
and max/min split a tie evenly.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Union

Number = Union[int, float]


def ieee(function: Callable[..., float], *args: float) -> float:
    """Call a math function, returning inf or nan where Python would raise."""
    try:
        return function(*args)
    except OverflowError:
        return math.inf
    except (ValueError, ZeroDivisionError):
        return math.nan


def divide(a: float, b: float) -> float:
    if b != 0:
        return a / b
    if a == 0 or math.isnan(a):
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


def power(base: float, exponent: float) -> float:
    if exponent == 0:
        return 1.0
    if base == 0 and exponent < 0:
        odd = exponent.is_integer() and exponent % 2 == 1
        return math.copysign(math.inf, base) if odd else math.inf
    try:
        return math.pow(base, exponent)
    except OverflowError:
        odd = exponent.is_integer() and exponent % 2 == 1
        return -math.inf if base < 0 and odd else math.inf
    except ValueError:
        return math.nan


class GoodValue:
    """A float64 scalar node: ``data``, ``grad``, ordered parents and local derivatives."""

    def __init__(self, data: Number, parents: tuple = (), local: tuple = ()) -> None:
        self.data = float(data)
        self.grad = 0.0
        self._parents = tuple(parents)
        self._local = tuple(local)

    def _lift(self, other: Any) -> "GoodValue":
        return other if isinstance(other, GoodValue) else type(self)(other)

    def _node(self, data: float, parents: tuple, local: tuple) -> "GoodValue":
        return type(self)(data, parents, local)

    # --- local derivatives, one method per rule --------------------------

    def _slope_add(self, a: float, b: float) -> tuple[float, float]:
        return 1.0, 1.0

    def _slope_sub(self, a: float, b: float) -> tuple[float, float]:
        return 1.0, -1.0

    def _slope_mul(self, a: float, b: float) -> tuple[float, float]:
        return b, a

    def _slope_div(self, a: float, b: float) -> tuple[float, float]:
        return divide(1.0, b), -divide(divide(a, b), b)

    def _slope_pow(self, x: float, exponent: float) -> float:
        if exponent == 0:
            return 0.0
        if x == 0:
            return 1.0 if exponent == 1 else (0.0 if exponent > 1 else math.inf)
        return exponent * power(x, exponent - 1)

    def _slope_exponent(self, base: float, exponent: float, out: float) -> float:
        """d(base**exponent)/d(exponent)."""
        if base > 0:
            return out * math.log(base)
        return 0.0 if base == 0 and exponent > 0 else math.nan

    def _slope_exp(self, x: float, out: float) -> float:
        return out

    def _slope_log(self, x: float, out: float) -> float:
        return divide(1.0, x)

    def _slope_tanh(self, x: float, out: float) -> float:
        cosh = ieee(math.cosh, x)
        return 1.0 / (cosh * cosh)

    def _slope_sigmoid(self, x: float, out: float) -> float:
        return _sigmoid(x) * _sigmoid(-x)

    def _slope_relu(self, x: float) -> float:
        return 1.0 if x > 0 else 0.0

    def _slope_sin(self, x: float) -> float:
        return ieee(math.cos, x)

    def _slope_cos(self, x: float) -> float:
        return -ieee(math.sin, x)

    def _slope_sqrt(self, x: float, out: float) -> float:
        return divide(0.5, out)

    def _slope_abs(self, x: float) -> float:
        return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)

    # --- operators -------------------------------------------------------

    def __add__(self, other: Any) -> "GoodValue":
        other = self._lift(other)
        return self._node(self.data + other.data, (self, other), self._slope_add(self.data, other.data))

    def __radd__(self, other: Any) -> "GoodValue":
        return self._lift(other) + self

    def __sub__(self, other: Any) -> "GoodValue":
        other = self._lift(other)
        return self._node(self.data - other.data, (self, other), self._slope_sub(self.data, other.data))

    def __rsub__(self, other: Any) -> "GoodValue":
        return self._lift(other) - self

    def __mul__(self, other: Any) -> "GoodValue":
        other = self._lift(other)
        return self._node(self.data * other.data, (self, other), self._slope_mul(self.data, other.data))

    def __rmul__(self, other: Any) -> "GoodValue":
        return self._lift(other) * self

    def __truediv__(self, other: Any) -> "GoodValue":
        other = self._lift(other)
        return self._node(divide(self.data, other.data), (self, other), self._slope_div(self.data, other.data))

    def __rtruediv__(self, other: Any) -> "GoodValue":
        return self._lift(other) / self

    def __neg__(self) -> "GoodValue":
        return self._node(-self.data, (self,), (-1.0,))

    def __pow__(self, other: Any) -> "GoodValue":
        if isinstance(other, GoodValue):
            out = power(self.data, other.data)
            local = (self._slope_pow(self.data, other.data), self._slope_exponent(self.data, other.data, out))
            return self._node(out, (self, other), local)
        exponent = float(other)
        return self._node(power(self.data, exponent), (self,), (self._slope_pow(self.data, exponent),))

    def __rpow__(self, other: Any) -> "GoodValue":
        base = float(other)
        out = power(base, self.data)
        return self._node(out, (self,), (self._slope_exponent(base, self.data, out),))

    def __abs__(self) -> "GoodValue":
        return self._node(abs(self.data), (self,), (self._slope_abs(self.data),))

    # --- functions -------------------------------------------------------

    def exp(self) -> "GoodValue":
        out = ieee(math.exp, self.data)
        return self._node(out, (self,), (self._slope_exp(self.data, out),))

    def log(self) -> "GoodValue":
        x = self.data
        out = math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan)
        return self._node(out, (self,), (self._slope_log(x, out),))

    def tanh(self) -> "GoodValue":
        out = math.tanh(self.data)
        return self._node(out, (self,), (self._slope_tanh(self.data, out),))

    def sigmoid(self) -> "GoodValue":
        out = _sigmoid(self.data)
        return self._node(out, (self,), (self._slope_sigmoid(self.data, out),))

    def relu(self) -> "GoodValue":
        out = self.data if self.data > 0 else 0.0
        return self._node(out, (self,), (self._slope_relu(self.data),))

    def sin(self) -> "GoodValue":
        return self._node(ieee(math.sin, self.data), (self,), (self._slope_sin(self.data),))

    def cos(self) -> "GoodValue":
        return self._node(ieee(math.cos, self.data), (self,), (self._slope_cos(self.data),))

    def sqrt(self) -> "GoodValue":
        out = ieee(math.sqrt, self.data)
        return self._node(out, (self,), (self._slope_sqrt(self.data, out),))

    def max(self, other: Any) -> "GoodValue":
        other = self._lift(other)
        a, b = self.data, other.data
        local = (1.0, 0.0) if a > b else (0.0, 1.0) if a < b else (0.5, 0.5)
        return self._node(max(a, b), (self, other), local)

    def min(self, other: Any) -> "GoodValue":
        other = self._lift(other)
        a, b = self.data, other.data
        local = (1.0, 0.0) if a < b else (0.0, 1.0) if a > b else (0.5, 0.5)
        return self._node(min(a, b), (self, other), local)

    # --- backward --------------------------------------------------------

    def _topological_order(self) -> list["GoodValue"]:
        """Return every node this one depends on, parents first, without recursion."""
        order: list[GoodValue] = []
        visited: set[int] = set()
        stack: list[tuple[GoodValue, bool]] = [(self, False)]
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

    def _accumulate(self, contribution: float) -> None:
        self.grad += contribution

    def _propagate(self) -> None:
        """Add this node's gradient times each local derivative to its parents."""
        for parent, local in zip(self._parents, self._local):
            parent._accumulate(local * self.grad)

    def _reset(self, order: list["GoodValue"]) -> None:
        for node in order:
            node.grad = 0.0

    def backward(self) -> None:
        """Set ``grad`` of every node to d(self)/d(node), starting from zero."""
        order = self._topological_order()
        self._reset(order)
        self.grad = 1.0
        for node in reversed(order):
            node._propagate()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(data={self.data!r}, grad={self.grad!r})"


def _sigmoid(x: float) -> float:
    e = ieee(math.exp, -abs(x))
    return 1.0 / (1.0 + e) if x >= 0 else e / (1.0 + e)
