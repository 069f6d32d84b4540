"""``AltValue``: a second correct engine, written differently from ``GoodValue``.

It uses micrograd's closure style and derives ops from fewer primitives:
sub is add of neg, div passes ``out/y`` rather than ``x/y**2``, relu is ``max(x, 0)``, sigmoid
is ``1/(1+exp(-x))`` with the overflow guarded, and tanh' is sech**2.
Gradients accumulate across backward calls like PyTorch's leaves, so a
second backward doubles them; ``zero_grad`` clears the graph.  At a tie
max and min pass the whole gradient to their first operand, which is inside
the allowed range [0, 1] for each operand.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from .good import divide, ieee, power


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)  # exp(-x) would overflow for x below about -709
    return e / (1.0 + e)


class AltValue:
    """A closure-based float64 scalar with accumulate-on-backward semantics."""

    def __init__(self, data: float, children: tuple = ()) -> None:
        self.data = float(data)
        self.grad = 0.0
        self._children = children
        self._backward: Callable[[], None] = lambda: None

    @staticmethod
    def _wrap(other: Any) -> "AltValue":
        return other if isinstance(other, AltValue) else AltValue(other)

    def _unary(self, data: float, slope: float) -> "AltValue":
        out = AltValue(data, (self,))

        def backward() -> None:
            self.grad += slope * out.grad

        out._backward = backward
        return out

    def __add__(self, other: Any) -> "AltValue":
        other = self._wrap(other)
        out = AltValue(self.data + other.data, (self, other))

        def backward() -> None:
            self.grad += out.grad
            other.grad += out.grad

        out._backward = backward
        return out

    __radd__ = __add__

    def __mul__(self, other: Any) -> "AltValue":
        other = self._wrap(other)
        out = AltValue(self.data * other.data, (self, other))

        def backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = backward
        return out

    __rmul__ = __mul__

    def __neg__(self) -> "AltValue":
        return self * -1.0

    def __sub__(self, other: Any) -> "AltValue":
        return self + (-self._wrap(other))

    def __rsub__(self, other: Any) -> "AltValue":
        return self._wrap(other) + (-self)

    def __truediv__(self, other: Any) -> "AltValue":
        # Not x * y**-1: its backward squares y, which overflows for y = 1e-300
        # and gives 0 * inf = nan where every true derivative is finite.
        other = self._wrap(other)
        out = AltValue(divide(self.data, other.data), (self, other))

        def backward() -> None:
            self.grad += divide(out.grad, other.data)
            other.grad -= divide(out.grad * out.data, other.data)

        out._backward = backward
        return out

    def __rtruediv__(self, other: Any) -> "AltValue":
        return self._wrap(other) / self

    def __pow__(self, other: Any) -> "AltValue":
        if not isinstance(other, AltValue):
            k = float(other)
            x = self.data
            if k == 0:
                slope = 0.0
            elif x == 0:
                slope = 1.0 if k == 1 else (0.0 if k > 1 else math.inf)
            else:
                slope = k * power(x, k - 1)
            return self._unary(power(x, k), slope)
        # x ** y with both variable: exp(y * log(x)) for x > 0, direct otherwise.
        base, exponent = self.data, other.data
        out_value = power(base, exponent)
        out = AltValue(out_value, (self, other))

        def backward() -> None:
            if exponent != 0:
                self.grad += exponent * power(base, exponent - 1) * out.grad
            if base > 0:
                other.grad += out_value * math.log(base) * out.grad
            elif not (base == 0 and exponent > 0):
                other.grad += math.nan

        out._backward = backward
        return out

    def __rpow__(self, other: Any) -> "AltValue":
        base = float(other)
        out = power(base, self.data)
        if base > 0:
            slope = out * math.log(base)
        else:
            slope = 0.0 if base == 0 and self.data > 0 else math.nan
        return self._unary(out, slope)

    def __abs__(self) -> "AltValue":
        x = self.data
        return self._unary(abs(x), math.copysign(1.0, x) if x != 0 else 0.0)

    def exp(self) -> "AltValue":
        out = ieee(math.exp, self.data)
        return self._unary(out, out)

    def log(self) -> "AltValue":
        x = self.data
        value = math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan)
        return self._unary(value, divide(1.0, x))

    def tanh(self) -> "AltValue":
        sech = 1.0 / ieee(math.cosh, self.data)
        return self._unary(math.tanh(self.data), sech * sech)

    def sigmoid(self) -> "AltValue":
        return self._unary(_sigmoid(self.data), _sigmoid(self.data) * _sigmoid(-self.data))

    def relu(self) -> "AltValue":
        return self._unary(max(self.data, 0.0), 1.0 if self.data > 0 else 0.0)

    def sin(self) -> "AltValue":
        return self._unary(ieee(math.sin, self.data), ieee(math.cos, self.data))

    def cos(self) -> "AltValue":
        return self._unary(ieee(math.cos, self.data), -ieee(math.sin, self.data))

    def sqrt(self) -> "AltValue":
        root = ieee(math.sqrt, self.data)
        return self._unary(root, divide(1.0, 2.0 * root))

    def _select(self, other: Any, first_wins: bool) -> "AltValue":
        other = self._wrap(other)
        out = AltValue(self.data if first_wins else other.data, (self, other))

        def backward() -> None:
            if first_wins:
                self.grad += out.grad
            else:
                other.grad += out.grad

        out._backward = backward
        return out

    def max(self, other: Any) -> "AltValue":
        return self._select(other, self.data >= self._wrap(other).data)

    def min(self, other: Any) -> "AltValue":
        return self._select(other, self.data <= self._wrap(other).data)

    def _graph(self) -> list["AltValue"]:
        """Return the nodes this one depends on in post-order, without recursion."""
        order: list[AltValue] = []
        seen: set[int] = {id(self)}
        stack: list[tuple[AltValue, int]] = [(self, 0)]
        while stack:
            node, next_child = stack.pop()
            if next_child < len(node._children):
                stack.append((node, next_child + 1))
                child = node._children[next_child]
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append((child, 0))
            else:
                order.append(node)
        return order

    def zero_grad(self) -> None:
        for node in self._graph():
            node.grad = 0.0

    def backward(self) -> None:
        """Add d(self)/d(node) to ``grad`` of every node this one depends on."""
        order = self._graph()
        previous = [node.grad for node in order]
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            node._backward()
        for node, before in zip(order, previous):
            node.grad += before

    def __repr__(self) -> str:
        return f"AltValue(data={self.data!r}, grad={self.grad!r})"
