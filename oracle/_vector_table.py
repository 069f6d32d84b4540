"""The hand-written rows of the conformance corpus.

Every op on its own, the reflected forms, shared nodes and diamonds, special
points (kinks, domain edges, overflow, tiny values) and one witness per
fault class the oracle knows.  ``build_vector`` checks each row's declared
kind against what the oracle computes.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HandVector", "HAND_VECTORS", "DEEP_LEVELS"]

#: Levels of the deep chain: above CPython's default recursion limit of 1000,
#: so a recursive topological sort fails on it.
DEEP_LEVELS = 1500


@dataclass(frozen=True)
class HandVector:
    """One row of the hand-written table."""

    id: str
    expression: str
    point: dict[str, float]
    #: The kind the oracle must assign; ``build_vector`` raises when it differs.
    kind: str
    tags: tuple[str, ...] = ()
    #: Fault classes that fail this vector, in words.
    catches: tuple[str, ...] = ()
    note: str = ""


def _h(id: str, expression: str, point: dict[str, float], kind: str = "smooth", tags: tuple[str, ...] = (),
       catches: tuple[str, ...] = (), note: str = "") -> HandVector:
    return HandVector(id, expression, point, kind, tags, catches, note)


_XY = {"x": 0.5, "y": 1.25}
_DEEP = "x" + " + 1" * DEEP_LEVELS

HAND_VECTORS: tuple[HandVector, ...] = (
    # Every op on its own, away from special points.
    _h("add", "x + y", _XY, tags=("op",), catches=("add drops its second operand's gradient",)),
    _h("sub", "x - y", _XY, tags=("op",), catches=("sub passes +1 to its second operand",)),
    _h("mul", "x*y", _XY, tags=("op",), catches=("mul swaps its local derivatives",)),
    _h("div", "x / y", _XY, tags=("op",), catches=("div loses the sign of d(a/b)/db",)),
    _h("neg", "-x", {"x": 0.5}, tags=("op",)),
    _h("pow-cube", "x ** 3", {"x": 2.0}, tags=("op",), catches=("pow's derivative hard-coded to 2*x",)),
    _h("pow-negative", "x ** -2", {"x": 1.5}, tags=("op",)),
    _h("pow-half", "x ** 0.5", {"x": 2.25}, tags=("op",)),
    _h("rpow", "2 ** x", {"x": 1.5}, tags=("op", "reflected"), catches=("c**x differentiated as x**c",)),
    _h("rpow-half", "0.5 ** x", {"x": -1.25}, tags=("op", "reflected")),
    _h("powv", "x ** y", {"x": 1.5, "y": 2.5}, tags=("op",)),
    _h("exp", "exp(x)*y", _XY, tags=("op",),
       catches=("exp' uses the input", "exp' wrong by one part in a million")),
    _h("log", "log(x)", {"x": 1.5}, tags=("op",), catches=("log' is 1/x**2",)),
    _h("tanh", "tanh(x)", {"x": 0.5}, tags=("op",), catches=("tanh' is 1 - tanh(x)",)),
    _h("sigmoid", "sigmoid(x)", {"x": 0.5}, tags=("op",), catches=("sigmoid' is s*(1 + s) or s",)),
    _h("relu", "relu(x)", {"x": 0.5}, tags=("op",)),
    _h("relu-negative", "relu(x)", {"x": -1.0}, tags=("op",), catches=("relu' is 1 for negative x",)),
    _h("sin", "sin(x)", {"x": 0.5}, tags=("op",), catches=("sin' is -cos(x)",)),
    _h("cos", "cos(x)", {"x": 0.5}, tags=("op",), catches=("cos' is sin(x)",)),
    _h("sqrt", "sqrt(x)", {"x": 1.5}, tags=("op",), catches=("sqrt' drops the factor 1/2",)),
    _h("abs", "abs(x)", {"x": -0.5}, tags=("op",), catches=("abs' is 1 for negative x",)),
    _h("max", "max(x, y)", _XY, tags=("op",)),
    _h("min", "min(x, y)", _XY, tags=("op",)),
    # A constant on the left goes through the reflected operator (__rsub__ ...).
    _h("radd", "2 + x", {"x": 0.5}, tags=("reflected",)),
    _h("rsub", "2 - x", {"x": 0.5}, tags=("reflected",), catches=("c - x computed as x - c",)),
    _h("rmul", "2*x", {"x": 0.5}, tags=("reflected",)),
    _h("rdiv", "2 / x", {"x": 0.5}, tags=("reflected",), catches=("c / x computed as x / c",)),
    _h("max-constant", "max(3, x)", {"x": 0.5}, tags=("reflected",)),
    _h("min-constant", "min(x, 0.25)", {"x": 0.5}, tags=("reflected",)),
    # Shared nodes and traversal order.
    _h("square", "x*x", {"x": 3.0}, tags=("shared-node",), catches=("gradients assigned instead of accumulated",)),
    _h("shared-product", "t = x*y; t*t + t", {"x": 1.5, "y": -2.0}, tags=("shared-node",),
       catches=("gradients assigned instead of accumulated",)),
    _h("diamond-double", "b = a + a; b + b", {"a": 1.0}, tags=("shared-node", "diamond"),
       catches=("topological sort without a visited set",)),
    _h("shared-square", "t = a + 1; t*t", {"a": 1.0}, tags=("shared-node",),
       catches=("a reused node passes its running gradient once per path",)),
    _h("diamond-tanh", "u = tanh(x); sin(u)*cos(u)", {"x": 0.75}, tags=("shared-node", "diamond")),
    _h("micrograd-example", "(a*b + c)*f", {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}, tags=("order",),
       catches=("backward in the wrong topological order",)),
    _h("backward-twice", "c = a + b; c*d", {"a": 3.0, "b": 2.0, "d": 1.0}, tags=("state",),
       catches=("interior gradients not reset between backward calls (run backward twice)",)),
    _h("deep-chain", _DEEP, {"x": 0.5}, tags=("deep",),
       catches=("recursive topological sort overflows the stack",),
       note=f"{DEEP_LEVELS} levels of x + 1 + 1 ..."),
    # Zeros, signed zero and exact kinks.
    _h("mul-zero", "x*y", {"x": 0.0, "y": 2.5}, tags=("zero",)),
    _h("mul-negative-zero", "x*y", {"x": -0.0, "y": 2.5}, tags=("zero",)),
    _h("sin-zero", "sin(x)", {"x": 0.0}, tags=("zero",)),
    _h("relu-kink", "relu(x)", {"x": 0.0}, "kink", ("zero",), ("relu'(0) outside [0, 1]",)),
    _h("abs-kink", "abs(x)", {"x": 0.0}, "kink", ("zero",), ("abs'(0) is nan",)),
    _h("relu-kink-scaled", "relu(x - y)*3", {"x": 0.75, "y": 0.75}, "kink"),
    _h("max-tie", "max(x, y)", {"x": 0.5, "y": 0.5}, "kink"),
    _h("min-tie", "min(x, y)", {"x": -1.5, "y": -1.5}, "kink"),
    _h("max-same", "max(x, x)", {"x": 0.5}, "kink", ("shared-node",)),
    # Domain edges and the power family at base 0.
    _h("sqrt-zero", "sqrt(x)", {"x": 0.0}, "domain-edge", ("zero",)),
    _h("sqrt-square-zero", "sqrt(x*x)", {"x": 0.0}, "ad-inherent", ("zero",),
       note="the chain rule gives 0*inf = nan; the function's derivative is the kink of |x|"),
    _h("pow-zero-exponent-at-zero", "x ** 0", {"x": 0.0}, tags=("zero",),
       note="x**0 is the constant 1, so its derivative is 0 even at x = 0"),
    _h("pow-square-at-zero", "x ** 2", {"x": 0.0}, tags=("zero",)),
    _h("pow-one-at-zero", "x ** 1", {"x": 0.0}, tags=("zero",)),
    _h("pow-half-at-zero", "x ** 0.5", {"x": 0.0}, "domain-edge", ("zero",)),
    _h("rpow-zero-base", "0 ** x", {"x": 2.0}, tags=("zero",)),
    _h("powv-zero-base", "x ** y", {"x": 0.0, "y": 2.0}, tags=("zero",)),
    _h("powv-negative-base", "x ** y", {"x": -2.0, "y": 3.0}, "undefined",
       note="d/dy does not exist: a negative base has real powers only at integers"),
    _h("pow-negative-at-zero", "x ** -1", {"x": 0.0}, "domain", ("zero",)),
    _h("log-zero", "log(x)", {"x": 0.0}, "domain", ("zero",)),
    # Large magnitudes and overflow.
    _h("exp-large", "exp(x)*y", {"x": 709.0, "y": 0.5}, tags=("large",)),
    _h("exp-overflow", "exp(x)", {"x": 800.0}, "overflow", ("large",)),
    _h("exp-beyond", "exp(exp(x))", {"x": 800.0}, "beyond", ("large",)),
    _h("exp-ratio-overflow", "exp(x)/exp(x)", {"x": 710.0}, "float64-inherent", ("large",),
       note="exp(710) overflows float64, so a float64 engine computes inf/inf = nan"),
    _h("tanh-hundreds", "tanh(x) + x", {"x": 400.0}, tags=("large",),
       catches=("tanh via exp(2x) overflows for x > 355",)),
    _h("tanh-tail", "tanh(x)*y", {"x": 355.0, "y": 1e300}, tags=("large", "tiny")),
    _h("sigmoid-large-negative", "sigmoid(x)", {"x": -700.0}, tags=("large", "tiny")),
    _h("sin-hundreds", "sin(x)", {"x": 300.0}, tags=("large",)),
    _h("mul-hundreds", "x*y", {"x": 123.5, "y": -456.25}, tags=("large",)),
    # Tiny values and subnormals.
    _h("mul-tiny", "x*y", {"x": 1e-300, "y": 1e-10}, tags=("tiny",)),
    _h("sqrt-subnormal", "sqrt(x)", {"x": 5e-324}, tags=("tiny",)),
    _h("log-tiny", "log(x)", {"x": 1e-308}, tags=("tiny",)),
    _h("div-subnormal", "x / y", {"x": 5e-324, "y": 2.0}, "smooth", ("tiny",),
       note="5e-324/2 rounds to 0 in float64, which is within one subnormal step"),
)
