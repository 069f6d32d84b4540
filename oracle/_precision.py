"""High-precision evaluation of graphs in private mpmath contexts.

Every context here is an ``mpmath.MPContext`` owned by this module, so the
global ``mpmath.mp`` precision is never read or changed.  mpmath picks the
gmpy2 backend by itself when gmpy2 is installed; ``backend()`` reports it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Optional, Sequence

import mpmath
from mpmath import libmp

from ._graph import Const, Graph, Point
from ._ops import EXACT_BITS, OPS

__all__ = ["context", "backend", "evaluate", "apply", "too_large", "Beyond", "REACH_BITS"]

Mpf = Any

#: Transcendental ops are not computed for arguments of magnitude beyond
#: 2**REACH_BITS (and powers not beyond that many bits of exponent).  Such an
#: argument is already far outside float64, and exp or sin of it would need
#: an exponent or an argument reduction with more than 2**1100 bits, which no
#: amount of time or memory provides.
REACH_BITS = 1100
_TRANSCENDENTAL = frozenset({"exp", "sin", "cos", "tanh", "sigmoid"})


class Beyond(Exception):
    """An intermediate value is too large (or small) to compute at all."""

    def __init__(self, node: int) -> None:
        self.node = node
        super().__init__(f"node {node} is beyond any representable range")


@lru_cache(maxsize=None)
def context(prec: int) -> Any:
    """Return this module's private mpmath context at ``prec`` bits."""
    ctx = mpmath.MPContext()
    ctx.prec = prec
    return ctx


def backend() -> str:
    """Name of mpmath's integer backend: "gmpy" when gmpy2 is in use, else "python"."""
    return str(libmp.BACKEND)


def too_large(ctx: Any, op_name: str, args: Sequence[Mpf]) -> bool:
    """True when computing the op would produce an exponent beyond reach."""
    if op_name in _TRANSCENDENTAL:
        return args[0] != 0 and ctx.mag(args[0]) > REACH_BITS
    if op_name in ("pow", "rpow", "powv"):
        base, exponent = args
        if base == 0 or exponent == 0:
            return False
        return ctx.mag(exponent) + ctx.mag(ctx.mag(base) + 1) > REACH_BITS
    return False


def apply(ctx: Any, op_name: str, args: Sequence[Mpf]) -> Mpf:
    """Apply one op at the context's precision; the caller checks the domain."""
    return OPS[op_name].forward(ctx, *args)


def operand_values(ctx: Any, graph: Graph, point: Point, values: Sequence[Mpf], index: int) -> list[Mpf]:
    args = []
    for arg in graph.nodes[index].args:
        if isinstance(arg, Const):
            args.append(ctx.mpf(arg.value))
        elif isinstance(arg, str):
            args.append(ctx.mpf(point[arg]))
        else:
            args.append(values[arg])
    return args


def evaluate(
    graph: Graph,
    point: Point,
    prec: int,
    *,
    shift: Optional[tuple[str, Mpf]] = None,
) -> Optional[Mpf]:
    """Return the output at ``prec`` bits, or None if any op leaves its domain.

    ``shift`` = (input name, offset) evaluates at the point moved along one
    input, for finite differences; the offset is exact in the context.
    Raises ``Beyond`` when an intermediate is out of reach.
    """
    ctx = context(prec)
    inputs = {name: ctx.mpf(value) for name, value in point.items()}
    if shift is not None:
        name, offset = shift
        # Enough bits that an absolute step of 2**-53 on an input of 2.6e64 does
        # not round away, but bounded: a step sized by a gap such as
        # exp(-1e300) would need an exact sum of 1e300 bits.
        inputs[name] = ctx.fadd(inputs[name], offset, prec=ctx.prec + 2 * EXACT_BITS)
    values: list[Mpf] = []
    for index, node in enumerate(graph.nodes):
        entry = OPS[node.op]
        args = [
            ctx.mpf(arg.value) if isinstance(arg, Const) else inputs[arg] if isinstance(arg, str) else values[arg]
            for arg in node.args
        ]
        if entry.domain(ctx, *args) is not None:
            return None
        if too_large(ctx, node.op, args):
            raise Beyond(index)
        values.append(entry.forward(ctx, *args))
    return values[-1]
