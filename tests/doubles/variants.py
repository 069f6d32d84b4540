"""Correct engines with unusual APIs, for testing what probing finds."""

from __future__ import annotations

import math
from typing import Any, Callable

from .good import GoodValue


class SizeOneArray:
    """A stand-in for a numpy array of shape (1,): ``float()`` on it is not the way to read it."""

    ndim = 1
    size = 1

    def __init__(self, value: float) -> None:
        self._value = value

    def item(self) -> float:
        return self._value

    def __float__(self) -> float:
        raise TypeError("use .item() on a size-1 array")


class Boxed:
    """Stores ``value``, returns its gradient from ``gradient()`` as a size-1 array, backward is ``backprop()``.

    Supports add, mul and tanh only.
    """

    def __init__(self, value: float, parents: tuple = ()) -> None:
        self.value = float(value)
        self._gradient = 0.0
        self._parents = parents
        self._step: Callable[[], None] = lambda: None

    def gradient(self) -> SizeOneArray:
        return SizeOneArray(self._gradient)

    def _wrap(self, other: Any) -> "Boxed":
        return other if isinstance(other, Boxed) else Boxed(other)

    def __add__(self, other: Any) -> "Boxed":
        other = self._wrap(other)
        out = Boxed(self.value + other.value, (self, other))

        def step() -> None:
            self._gradient += out._gradient
            other._gradient += out._gradient

        out._step = step
        return out

    __radd__ = __add__

    def __mul__(self, other: Any) -> "Boxed":
        other = self._wrap(other)
        out = Boxed(self.value * other.value, (self, other))

        def step() -> None:
            self._gradient += other.value * out._gradient
            other._gradient += self.value * out._gradient

        out._step = step
        return out

    __rmul__ = __mul__

    def tanh(self) -> "Boxed":
        out = Boxed(math.tanh(self.value), (self,))

        def step() -> None:
            self._gradient += out._gradient / math.cosh(self.value) ** 2

        out._step = step
        return out

    def backprop(self) -> None:
        order: list[Boxed] = []
        seen: set[int] = set()
        stack: list[tuple[Boxed, bool]] = [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((parent, False) for parent in node._parents)
        for node in order:
            node._gradient = 0.0
        self._gradient = 1.0
        for node in reversed(order):
            node._step()


class scalar(GoodValue):  # noqa: N801  (a lower-case class name, as femtograd's ``value``)
    """``GoodValue`` under a lower-case class name."""


class NoNeg(GoodValue):
    """``GoodValue`` without unary minus, as coregrad's ``Scalar``."""

    __neg__ = None  # type: ignore[assignment]


class ForwardOnlyExp(GoodValue):
    """``exp`` computes the value but records no parent, so no gradient flows through it."""

    def exp(self) -> GoodValue:
        return type(self)(math.exp(self.data))


class Renamed(GoodValue):
    """Backward is ``run_back()`` and relu is ``activate()``: names probing cannot guess."""

    run_back = GoodValue.backward
    activate = GoodValue.relu
    backward = None  # type: ignore[assignment]
    relu = None  # type: ignore[assignment]


VARIANTS: dict[str, type] = {
    "Boxed": Boxed,
    "scalar": scalar,
    "NoNeg": NoNeg,
    "ForwardOnlyExp": ForwardOnlyExp,
    "Renamed": Renamed,
}
