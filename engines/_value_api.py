"""How to talk to one micrograd-style class: accessors, op forms, conversions.

Probing (``_probe``) fills a ``ValueApi``; the adapter (``_value_like``) only
uses it.  Nothing here catches exceptions of the engine under test: callers
decide which phase a failure belongs to.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Optional

from ._mapping import BackwardTwice

__all__ = ["Accessor", "OpForm", "ValueApi", "to_float", "DUNDER_OPERATORS"]

#: The Python operator that reaches each dunder form of the op table.  Calling
#: ``operator.sub(2.0, x)`` makes Python try ``float.__sub__`` and then
#: ``x.__rsub__``, exactly as ``2.0 - x`` does in user code.
DUNDER_OPERATORS: dict[str, Callable[..., Any]] = {
    "__add__": operator.add,
    "__radd__": operator.add,
    "__sub__": operator.sub,
    "__rsub__": operator.sub,
    "__mul__": operator.mul,
    "__rmul__": operator.mul,
    "__truediv__": operator.truediv,
    "__rtruediv__": operator.truediv,
    "__neg__": operator.neg,
    "__pow__": operator.pow,
    "__rpow__": operator.pow,
    "__abs__": abs,
}


def to_float(value: Any) -> float:
    """Convert an engine's scalar (float, int, numpy scalar, size-1 array) to float.

    Raises ``TypeError`` naming the type when the value is not a real number,
    for example a complex result of ``(-1.5) ** 0.5``.
    """
    if type(value) is float:
        return value
    if isinstance(value, complex):
        raise TypeError(f"got complex {value!r}, not a real number")
    # numpy deprecates float() on arrays with ndim > 0, so unwrap size-1 arrays first.
    if getattr(value, "ndim", 0) and getattr(value, "size", 0) == 1 and hasattr(value, "item"):
        value = value.item()
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"got {type(value).__name__} {value!r:.60}, not a real number") from None


@dataclass(frozen=True)
class Accessor:
    """Reads one attribute of an engine object, calling it when it is a method."""

    name: str
    kind: Literal["attribute", "method"]

    def read(self, obj: Any) -> Any:
        value = getattr(obj, self.name)
        return value() if self.kind == "method" else value

    def describe(self) -> str:
        return f".{self.name}()" if self.kind == "method" else f".{self.name}"


@dataclass(frozen=True)
class OpForm:
    """One way of writing an op: a Python operator or a method of the first operand.

    Constants stay plain floats for operators, so ``2 - x`` reaches
    ``__rsub__``.  A method has no reflected form, so a constant first
    operand is wrapped in a fresh engine object whose gradient is ignored.
    """

    kind: Literal["operator", "method"]
    name: str

    def apply(self, lift: Callable[[float], Any], args: list[Any]) -> Any:
        if self.kind == "operator":
            return DUNDER_OPERATORS[self.name](*args)
        first = args[0]
        if isinstance(first, float):
            first = lift(first)
        return getattr(first, self.name)(*args[1:])

    def describe(self) -> str:
        return self.name if self.kind == "operator" else f".{self.name}()"


@dataclass
class ValueApi:
    """Everything the adapter needs to build, run and read one engine class."""

    cls: type
    data: Accessor
    grad: Accessor
    backward: str
    zero_grad: Optional[str] = None
    ops: dict[str, OpForm] = field(default_factory=dict)
    backward_twice: BackwardTwice = "either"
    dtype: str = "float64"

    def make_leaf(self, value: float) -> Any:
        return self.cls(value)

    def apply(self, op_name: str, args: list[Any]) -> Any:
        return self.ops[op_name].apply(self.make_leaf, args)

    def run_backward(self, obj: Any) -> None:
        getattr(obj, self.backward)()

    def read_data(self, obj: Any) -> float:
        return to_float(self.data.read(obj))

    def read_grad(self, obj: Any) -> Optional[float]:
        """Return the gradient as float, or ``None`` when it is absent or None."""
        try:
            value = self.grad.read(obj)
        except AttributeError:
            return None
        if value is None:
            return None
        return to_float(value)
