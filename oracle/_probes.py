"""One-op probe examples that every campaign runs before random graphs.

Random graphs reach a reflected operator (``2 - x``) or a special point
(``x**0`` at 0, tanh at 400) only now and then, and a fixed seed may never
reach one.  These probes apply each op once, in each of its operand forms,
at the points where engines are known to break, so a campaign covers every
form of every op it fuzzes whatever its seed.
"""

from __future__ import annotations

from typing import Iterator, Sequence

from ._graph import Const, Graph, Node
from ._ops import OPS

__all__ = ["probe_examples"]

#: Points for unary ops: zero, small, ordinary, large enough to overflow
#: exp or saturate tanh in naive code, and tiny.
UNARY_POINTS = (0.0, 1.0, -1.5, 0.5, 3.0, 20.0, -20.0, 400.0, -400.0, 1e-300)
#: (0, 1e-300) divides by a tiny number: every true derivative is finite, but
#: y**-2 in a pow-based division overflows.
BINARY_POINTS = ((0.5, 1.5), (-1.5, 2.0), (3.0, -0.25), (0.0, 1e-300))
CONSTANT_POINTS = (0.5, -1.5, 0.0, 3.0)
CONSTANTS = (2.0, -3.0, 0.5)
POW_EXPONENTS = (0.0, 1.0, 2.0, 3.0, -1.0, 0.5, 2.5, -0.5)
POW_BASES = (0.0, 2.0, 0.5, -1.5)
RPOW_BASES = (2.0, 0.5)
RPOW_POINTS = (0.5, -1.0, 0.0, 3.0)
POWV_POINTS = ((1.5, 2.5), (2.0, -1.0), (0.5, 0.0), (0.0, 2.0))


def _one(op: str, args: tuple, inputs: tuple[str, ...], point: dict[str, float]) -> tuple[Graph, dict[str, float]]:
    return Graph(inputs, (Node(op, args),)), point


def probe_examples(ops: Sequence[str]) -> Iterator[tuple[Graph, dict[str, float]]]:
    """Yield (graph, point) pairs of one node each for every op in ``ops``.

    Points outside an op's domain are included on purpose: the truth skips
    them, and an engine that crashes there is not blamed.
    """
    for op in ops:
        entry = OPS[op]
        if op == "pow":
            for exponent in POW_EXPONENTS:
                for base in POW_BASES:
                    yield _one(op, ("x", Const(exponent)), ("x",), {"x": base})
        elif op == "rpow":
            for base in RPOW_BASES:
                for x in RPOW_POINTS:
                    yield _one(op, (Const(base), "x"), ("x",), {"x": x})
        elif op == "powv":
            for x, y in POWV_POINTS:
                yield _one(op, ("x", "y"), ("x", "y"), {"x": x, "y": y})
        elif entry.arity == 1:
            for x in UNARY_POINTS:
                yield _one(op, ("x",), ("x",), {"x": x})
        else:
            for x, y in BINARY_POINTS:
                yield _one(op, ("x", "y"), ("x", "y"), {"x": x, "y": y})
            for x in (1.5, 0.0):
                yield _one(op, ("x", "x"), ("x",), {"x": x})
            for constant in CONSTANTS:
                for x in CONSTANT_POINTS:
                    yield _one(op, (Const(constant), "x"), ("x",), {"x": x})
                    yield _one(op, ("x", Const(constant)), ("x",), {"x": x})
