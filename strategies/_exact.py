"""Exact node values for ``examples``, computed in a private mpmath context.

Values are computed at 200 bits from the float64 inputs, so a domain check
sees what the high-precision truth sees, not what float64 rounding makes of
it (``(x + y) - x - y`` is exactly 0 even where float64 says otherwise).

Some exact values are too large to compute: ``exp(exp(800))`` has an
exponent of about 10**347 bits.  An op whose exact result would need more
than ``MAX_BITS`` bits of exponent is reported as untame and left out of
the graph.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import mpmath

from oracle._ops import OPS

Mpf = Any  # mpmath ships no type stubs

PRECISION = 200

#: Largest binary exponent, in bits, of an exact node value.  float64 stops
#: at 2**1024, so this leaves room for overflow cases while keeping every
#: mpmath operation, including the argument reduction of sin and cos, fast.
MAX_BITS = 20_000

_EXP_LIMIT = MAX_BITS * 0.69  # exp(a) < 2**MAX_BITS when a < MAX_BITS * ln 2


def new_context() -> Any:
    """Return a private mpmath context at ``PRECISION`` bits."""
    ctx = mpmath.MPContext()
    ctx.prec = PRECISION
    return ctx


def exact_value(ctx: Any, op: str, args: Sequence[Mpf]) -> Optional[Mpf]:
    """Return ``op`` applied to ``args`` exactly, or None if the result is untame.

    The caller must have checked the op's domain; mpmath would return a
    complex number for a negative base with a non-integer exponent.
    """
    if op == "exp" and abs(args[0]) > _EXP_LIMIT:
        return None
    if op in ("pow", "rpow", "powv") and not _power_is_tame(ctx, args[0], args[1]):
        return None
    value = OPS[op].forward(ctx, *args)
    if value != 0 and ctx.mag(value) > MAX_BITS:
        return None
    return value


def _power_is_tame(ctx: Any, base: Mpf, exponent: Mpf) -> bool:
    if base == 0 or exponent == 0:
        return True
    bits = abs(exponent * ctx.log(abs(base), 2))
    return bool(bits <= MAX_BITS)
