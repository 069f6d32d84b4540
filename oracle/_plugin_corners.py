"""Hand-picked examples that every generated test runs first, as Hypothesis explicit examples.

Random graphs rarely land exactly on the points where hand-written rules
break: a kink (relu at 0), the edge of a power rule (x**0 at 0, where
``c * x**(c - 1)`` divides by zero), a reflected operator with a constant on
the left (``2 - x`` calls ``__rsub__``), an operand used twice (``x*x``) or
a tiny divisor (``x/y`` at y = 1e-300, where ``x * y**-1`` overflows in
backward although every true derivative is finite).
Each op family's test runs the corners made of that op alone.  The state
tests run the graph of karpathy/micrograd#53, ``(a + b)*d``, because its
interior node makes a second backward call of micrograd go wrong.
"""

from __future__ import annotations

from typing import Iterable

__all__ = ["GRADIENT_CORNERS", "STATE_CORNERS", "corners_for"]

#: (expression, point) pairs, by the one op each expression uses.
GRADIENT_CORNERS: dict[str, tuple[tuple[str, dict[str, float]], ...]] = {
    "add": (("x + x", {"x": 1.5}), ("2 + x", {"x": 3.0})),
    "sub": (("x - x", {"x": 1.5}), ("2 - x", {"x": 3.0})),
    "mul": (("x*x", {"x": 3.0}), ("2*x", {"x": 3.0})),
    "div": (("x/y", {"x": 1.0, "y": 4.0}), ("2/x", {"x": 4.0}), ("x/y", {"x": 0.0, "y": 1e-300})),
    "neg": (("-x", {"x": 0.0}), ("-x", {"x": 2.5})),
    "pow": (("x**0", {"x": 0.0}), ("x**1", {"x": 0.0}), ("x**2", {"x": 0.0}), ("x**3", {"x": -2.0}),
            ("x**-1", {"x": 2.0}), ("x**0.5", {"x": 4.0})),
    "rpow": (("2**x", {"x": 0.0}), ("0.5**x", {"x": -3.0})),
    "powv": (("x**y", {"x": 2.0, "y": 0.0}), ("x**y", {"x": 1.0, "y": 3.0})),
    "exp": (("exp(x)", {"x": 0.0}), ("exp(x)", {"x": -2.0})),
    "log": (("log(x)", {"x": 1.0}), ("log(x)", {"x": 0.25})),
    "tanh": (("tanh(x)", {"x": 0.0}), ("tanh(x)", {"x": -1.5})),
    "sigmoid": (("sigmoid(x)", {"x": 0.0}), ("sigmoid(x)", {"x": 2.0})),
    "relu": (("relu(x)", {"x": 0.0}), ("relu(x)", {"x": -1.0}), ("relu(x)", {"x": 2.0})),
    "sin": (("sin(x)", {"x": 0.0}), ("sin(x)", {"x": 2.0})),
    "cos": (("cos(x)", {"x": 0.0}), ("cos(x)", {"x": 2.0})),
    "sqrt": (("sqrt(x)", {"x": 4.0}), ("sqrt(x)", {"x": 0.0})),
    "abs": (("abs(x)", {"x": 0.0}), ("abs(x)", {"x": -2.0})),
    "max": (("max(x, y)", {"x": 1.0, "y": 1.0}), ("max(x, y)", {"x": -1.0, "y": 2.0})),
    "min": (("min(x, y)", {"x": 1.0, "y": 1.0}), ("min(x, y)", {"x": -1.0, "y": 2.0})),
}

#: The state tests' corners and the ops each needs.
STATE_CORNERS: tuple[tuple[str, dict[str, float], frozenset[str]], ...] = (
    ("c = a + b; c*d", {"a": 3.0, "b": 2.0, "d": 1.0}, frozenset({"add", "mul"})),
)


def corners_for(test: str, ops: Iterable[str], family: str) -> list[tuple[str, dict[str, float]]]:
    """Return the corner examples of one generated test, as (expression, point) pairs."""
    available = set(ops)
    if test == "test_state":
        return [(expression, point) for expression, point, needed in STATE_CORNERS if needed <= available]
    return list(GRADIENT_CORNERS.get(family, ()))
