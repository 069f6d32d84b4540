"""The op table: the single description of every op gradoracle supports.

Each row gives the op's name and arity, how it is written (infix symbol or
function name, and the Python operator or method forms an engine may offer),
which operand must be a constant, its forward rule and local derivatives at
high precision, its domain, and what happens at its kinks.

High-precision rules take an mpmath context ``ctx`` (never the global one) and
mpf operands.  A local derivative of ``None`` means "undefined over the reals
at this point", which is different from an infinite derivative (``ctx.inf``,
as for sqrt at 0 approached from the right).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Literal, Optional, Sequence

__all__ = ["Op", "OPS", "OP_NAMES", "UNARY_OPS", "BINARY_OPS", "op"]

Mpf = Any  # an mpmath mpf; mpmath ships no type stubs
Box = Sequence[tuple[Mpf, Mpf]]  # one closed interval (lo, hi) per operand

ConstSide = Literal["left", "right"]

#: Sums, differences and products are computed with this many bits: enough
#: to hold the exact sum of any two float64 values (exponents span 2,100
#: bits), so that cancellation such as (1 + 1e-300) - 1 stays exact and
#: finite differences with steps far below 1 see their shift.
EXACT_BITS = 2300


@dataclass(frozen=True)
class Op:
    """One row of the op table."""

    name: str
    arity: int
    #: Infix symbol for binary ops ("+"), prefix symbol for neg ("-"), else None.
    symbol: Optional[str]
    #: Call name in expressions, for ops written as functions ("tanh", "max").
    function: Optional[str]
    #: Python forms an engine object may implement, in order of preference.
    #: Dunder names are operators; other names are methods called on the first operand.
    forms: tuple[str, ...]
    #: The operand that must be a literal constant, if any (pow: the exponent).
    constant: Optional[ConstSide]
    forward: Callable[..., Mpf]
    partials: Callable[..., tuple[Optional[Mpf], ...]]
    #: Returns None inside the domain, else the reason the point is outside.
    domain: Callable[..., Optional[str]] = lambda ctx, *args: None
    #: At an exact kink, the hull (lo, hi) of the one-sided local derivatives
    #: for each operand; None away from kinks.
    kink: Callable[..., Optional[tuple[tuple[float, float], ...]]] = lambda *args: None
    #: True when a box of operand values touches a pole, a domain edge or a
    #: point where a local derivative is undefined, so no finite bound exists.
    singular: Callable[[Box], bool] = lambda box: False
    #: Bound on |forward| and on |partials| if the op is bounded (sin: 1).
    bound: Optional[float] = None
    #: Human description of the kink convention space, for reports.
    kink_note: str = ""

    @property
    def is_binary(self) -> bool:
        return self.arity == 2


def _contains(lo: Mpf, hi: Mpf, point: float) -> bool:
    return lo <= point <= hi


def _is_int(ctx: Any, x: Mpf) -> bool:
    return bool(ctx.isint(x))


# --- domain and derivative helpers for the power family ---------------------


def _pow_domain(ctx: Any, base: Mpf, exponent: Mpf) -> Optional[str]:
    if base > 0:
        return None
    if base == 0:
        if exponent > 0 or exponent == 0:
            return None
        return "zero raised to a negative power"
    if _is_int(ctx, exponent):
        return None
    return "negative base with a non-integer exponent"


def _pow_partial_base(ctx: Any, base: Mpf, exponent: Mpf) -> Mpf:
    if exponent == 0:
        return ctx.zero  # x**0 is the constant 1
    if base == 0:
        if exponent == 1:
            return ctx.one
        return ctx.zero if exponent > 1 else ctx.inf  # one-sided at the edge
    return exponent * base ** (exponent - 1)


def _pow_partial_exponent(ctx: Any, base: Mpf, exponent: Mpf) -> Optional[Mpf]:
    if base > 0:
        return base**exponent * ctx.ln(base)
    if base == 0 and exponent > 0:
        return ctx.zero  # 0**y is 0 for every y near a positive exponent
    return None  # negative base: defined only at integers, so no derivative


def _pow_singular(box: Box) -> bool:
    (lo, hi), (c_lo, _) = box
    is_int = c_lo == int(c_lo)
    if is_int and c_lo >= 1:
        return False
    if is_int:  # integer exponent below 1: pole at base 0 (or constant for 0)
        return c_lo != 0 and lo <= 0 <= hi
    return lo <= 0 <= hi or hi < 0


def _powv_singular(box: Box) -> bool:
    (lo, hi), _ = box
    return lo <= 0


def _sigmoid(ctx: Any, x: Mpf) -> Mpf:
    if x >= 0:
        return 1 / (1 + ctx.exp(-x))
    e = ctx.exp(x)
    return e / (1 + e)


def _sigmoid_partial(ctx: Any, x: Mpf) -> Mpf:
    # s(x) * s(-x), written with exp(-|x|) so it neither overflows nor cancels.
    e = ctx.exp(-abs(x))
    return e / (1 + e) ** 2


def _tanh_partial(ctx: Any, x: Mpf) -> Mpf:
    # sech(x)**2 keeps its relative accuracy where 1 - tanh(x)**2 cancels.
    return 1 / ctx.cosh(x) ** 2


def _sign_step(x: Mpf, below: float, above: float) -> float:
    return above if x > 0 else below


_ops: list[Op] = [
    Op("add", 2, "+", None, ("__add__", "__radd__"), None,
       lambda ctx, a, b: ctx.fadd(a, b, prec=max(ctx.prec, EXACT_BITS)),
       lambda ctx, a, b: (ctx.one, ctx.one)),
    Op("sub", 2, "-", None, ("__sub__", "__rsub__"), None,
       lambda ctx, a, b: ctx.fsub(a, b, prec=max(ctx.prec, EXACT_BITS)),
       lambda ctx, a, b: (ctx.one, -ctx.one)),
    Op("mul", 2, "*", None, ("__mul__", "__rmul__"), None,
       lambda ctx, a, b: ctx.fmul(a, b, prec=max(ctx.prec, EXACT_BITS)),
       lambda ctx, a, b: (b, a)),
    Op("div", 2, "/", None, ("__truediv__", "__rtruediv__"), None,
       lambda ctx, a, b: a / b,
       lambda ctx, a, b: (1 / b, -a / b**2),
       domain=lambda ctx, a, b: "division by zero" if b == 0 else None,
       singular=lambda box: _contains(*box[1], 0)),
    Op("neg", 1, "-", None, ("__neg__",), None,
       lambda ctx, a: -a,
       lambda ctx, a: (-ctx.one,)),
    Op("pow", 2, "**", None, ("__pow__",), "right",
       lambda ctx, a, c: ctx.one if c == 0 else a**c,
       lambda ctx, a, c: (_pow_partial_base(ctx, a, c), None),
       domain=_pow_domain,
       singular=_pow_singular),
    Op("rpow", 2, "**", None, ("__rpow__",), "left",
       lambda ctx, c, a: ctx.one if a == 0 else c**a,
       lambda ctx, c, a: (None, _pow_partial_exponent(ctx, c, a)),
       domain=lambda ctx, c, a: (
           None if c > 0 or (c == 0 and a > 0)
           else "a constant base must be positive (or zero with a positive exponent)"),
       singular=lambda box: box[0][0] <= 0 and _contains(*box[1], 0)),
    Op("powv", 2, "**", None, ("__pow__", "__rpow__"), None,
       lambda ctx, a, b: ctx.one if b == 0 else a**b,
       lambda ctx, a, b: (_pow_partial_base(ctx, a, b), _pow_partial_exponent(ctx, a, b)),
       domain=lambda ctx, a, b: (
           "zero raised to a non-positive variable power" if a == 0 and b <= 0
           else _pow_domain(ctx, a, b)),
       singular=_powv_singular),
    Op("exp", 1, None, "exp", ("exp",), None,
       lambda ctx, a: ctx.exp(a),
       lambda ctx, a: (ctx.exp(a),)),
    Op("log", 1, None, "log", ("log",), None,
       lambda ctx, a: ctx.ln(a),
       lambda ctx, a: (1 / a,),
       domain=lambda ctx, a: None if a > 0 else "logarithm of a non-positive number",
       singular=lambda box: box[0][0] <= 0),
    Op("tanh", 1, None, "tanh", ("tanh",), None,
       lambda ctx, a: ctx.tanh(a),
       lambda ctx, a: (_tanh_partial(ctx, a),),
       bound=1.0),
    Op("sigmoid", 1, None, "sigmoid", ("sigmoid",), None,
       _sigmoid,
       lambda ctx, a: (_sigmoid_partial(ctx, a),),
       bound=1.0),
    Op("relu", 1, None, "relu", ("relu",), None,
       lambda ctx, a: a if a > 0 else ctx.zero,
       lambda ctx, a: (ctx.mpf(_sign_step(a, 0.0, 1.0)),),
       kink=lambda a: ((0.0, 1.0),) if a == 0 else None,
       kink_note="relu'(0) may be any value in [0, 1]"),
    Op("sin", 1, None, "sin", ("sin",), None,
       lambda ctx, a: ctx.sin(a),
       lambda ctx, a: (ctx.cos(a),),
       bound=1.0),
    Op("cos", 1, None, "cos", ("cos",), None,
       lambda ctx, a: ctx.cos(a),
       lambda ctx, a: (-ctx.sin(a),),
       bound=1.0),
    Op("sqrt", 1, None, "sqrt", ("sqrt",), None,
       lambda ctx, a: ctx.sqrt(a),
       lambda ctx, a: (ctx.inf if a == 0 else 1 / (2 * ctx.sqrt(a)),),
       domain=lambda ctx, a: None if a >= 0 else "square root of a negative number",
       singular=lambda box: box[0][0] <= 0),
    Op("abs", 1, None, "abs", ("__abs__", "abs"), None,
       lambda ctx, a: abs(a),
       lambda ctx, a: (ctx.mpf(_sign_step(a, -1.0, 1.0)),),
       kink=lambda a: ((-1.0, 1.0),) if a == 0 else None,
       kink_note="abs'(0) may be any value in [-1, 1]"),
    Op("max", 2, None, "max", ("max",), None,
       lambda ctx, a, b: a if a >= b else b,
       lambda ctx, a, b: (ctx.mpf(_sign_step(a - b, 0.0, 1.0)), ctx.mpf(_sign_step(b - a, 0.0, 1.0))),
       kink=lambda a, b: ((0.0, 1.0), (0.0, 1.0)) if a == b else None,
       kink_note="at a tie each operand may receive any share in [0, 1]"),
    Op("min", 2, None, "min", ("min",), None,
       lambda ctx, a, b: a if a <= b else b,
       lambda ctx, a, b: (ctx.mpf(_sign_step(b - a, 0.0, 1.0)), ctx.mpf(_sign_step(a - b, 0.0, 1.0))),
       kink=lambda a, b: ((0.0, 1.0), (0.0, 1.0)) if a == b else None,
       kink_note="at a tie each operand may receive any share in [0, 1]"),
]

#: Every op by name, in table order.
OPS: dict[str, Op] = {entry.name: entry for entry in _ops}
OP_NAMES: tuple[str, ...] = tuple(OPS)
UNARY_OPS: tuple[str, ...] = tuple(name for name, entry in OPS.items() if entry.arity == 1)
BINARY_OPS: tuple[str, ...] = tuple(name for name, entry in OPS.items() if entry.arity == 2)


def op(name: str) -> Op:
    """Return the op table row for ``name``, or raise with the known names."""
    try:
        return OPS[name]
    except KeyError:
        from difflib import get_close_matches

        from ._errors import InvalidArgument

        hint = get_close_matches(name, OP_NAMES, n=1)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
        raise InvalidArgument(
            f"op={name!r} is not in the op table{suggestion} Known ops: {', '.join(OP_NAMES)}"
        ) from None
