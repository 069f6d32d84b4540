"""What a correct engine working in float64 (or float32) can legitimately return.

A correct engine evaluates the graph op by op, each op rounding its result,
and multiplies and sums local derivatives that are themselves computed from
rounded operands.  So its value and gradient are not the true ones but lie
in a ball around them whose radius depends on the conditioning of every
step.  This module propagates balls (centre, radius) through the forward pass
and the chain rule:

- forward: the radius of a node is how far the op's result moves when each
  operand moves anywhere inside its own ball (evaluated at the corners of the
  operand box, which bounds monotone and piecewise-linear ops and, to second
  order, smooth extrema), plus ``rho`` times the value for the op's own
  rounding, plus the smallest subnormal for results below the normal range;
- a box that touches a pole, a domain edge or a point where a derivative does
  not exist gives an infinite radius: float64 cannot pin that value down;
- backward: each local derivative gets a ball the same way, and products and
  sums of balls follow ball arithmetic, with one more rounding per operation.

``rho`` is 16 units in the last place (2**-49 for float64): correctly
rounded arithmetic is within half a unit, libm functions within one or two,
and an engine that writes an op as a short composition (a - b as a + (-b),
a / b as a * b**-1) adds a rounding or two.  That keeps a correct engine
inside the ball on ill-conditioned graphs while a one-part-in-a-million error
in a well-conditioned graph is still some 10**7 radii away.
"""

from __future__ import annotations

import itertools
import math
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence

from ._graph import Const
from ._ops import OPS
from ._precision import context

if TYPE_CHECKING:
    from ._truth import Truth

__all__ = ["Ball", "FloatFormat", "FORMATS", "Attainable", "attainable_balls"]

Mpf = Any


@dataclass(frozen=True)
class Ball:
    """A closed ball [centre - radius, centre + radius] of mpf numbers."""

    centre: Mpf
    radius: Mpf

    def plus(self, other: "Ball") -> "Ball":
        return Ball(self.centre + other.centre, self.radius + other.radius)

    def times(self, other: "Ball", ctx: Any, *, rounded: bool = True) -> "Ball":
        """Ball product.  With ``rounded`` (float arithmetic), 0 times an
        infinite number is uncertain (the engine may compute nan); in exact
        arithmetic a zero radius stays zero."""
        radius = (
            _product(abs(self.centre), other.radius, ctx, rounded)
            + _product(self.radius, abs(other.centre), ctx, rounded)
            + _product(self.radius, other.radius, ctx, rounded)
        )
        return Ball(self.centre * other.centre, radius)

    @property
    def lo(self) -> Mpf:
        return self.centre - self.radius

    @property
    def hi(self) -> Mpf:
        return self.centre + self.radius

    def contains(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if float(self.radius) == math.inf:  # beyond every float: nothing is pinned down
            return True
        return bool(self.lo <= value <= self.hi)


def _product(a: Mpf, b: Mpf, ctx: Any, rounded: bool) -> Mpf:
    """a*b for radii, where 0 times an infinite radius is infinite when
    ``rounded``: the engine may compute 0 * inf = nan, so nothing is pinned down."""
    if not rounded and (a == 0 or b == 0):
        return ctx.zero
    if ctx.isinf(a) or ctx.isinf(b):
        return ctx.inf
    if ctx.isnan(a) or ctx.isnan(b):
        return ctx.inf
    return a * b


@dataclass(frozen=True)
class FloatFormat:
    """The arithmetic a class of engines works in."""

    name: str
    #: Relative error allowed per op (see the module docstring).
    rho: float
    #: Smallest positive subnormal: the absolute rounding error floor.
    floor: float
    max: float
    representable: Callable[[Mpf], bool]


def _float64_exact(value: Mpf) -> bool:
    converted = float(value)
    return math.isfinite(converted) and converted == value


def _float32_exact(value: Mpf) -> bool:
    converted = float(value)
    try:
        rounded = struct.unpack("f", struct.pack("f", converted))[0]
    except OverflowError:
        return False
    return math.isfinite(rounded) and rounded == value


FORMATS: dict[str, FloatFormat] = {
    "float64": FloatFormat("float64", 2.0**-49, 2.0**-1074, 1.7976931348623157e308, _float64_exact),
    "float32": FloatFormat("float32", 2.0**-20, 2.0**-149, 3.4028234663852886e38, _float32_exact),
}


@dataclass
class Attainable:
    """Balls holding every result a correct engine of one format can return."""

    values: list[Ball]
    adjoints: list[Ball]
    gradient: dict[str, Ball]

    @property
    def value(self) -> Ball:
        return self.values[-1]


def _input_ball(ctx: Any, value: float, fmt: FloatFormat) -> Ball:
    exact = ctx.mpf(value)
    if fmt.representable(exact):
        return Ball(exact, ctx.zero)
    return Ball(exact, abs(exact) * fmt.rho + fmt.floor)


def _corners(balls: Sequence[Ball]) -> list[list[Mpf]]:
    sides = [[ball.lo, ball.hi] if ball.radius else [ball.centre] for ball in balls]
    return [list(corner) for corner in itertools.product(*sides)]


def _deviation(ctx: Any, entry: Any, balls: Sequence[Ball], centre_values: Sequence[Optional[Mpf]],
               evaluate: Callable[[list[Mpf]], Sequence[Optional[Mpf]]]) -> list[Mpf]:
    """Largest move of each output of ``evaluate`` over the corners of the box."""
    if all(ball.radius == 0 for ball in balls):
        return [ctx.zero] * len(centre_values)
    if any(ctx.isinf(ball.radius) for ball in balls):
        return [ctx.inf] * len(centre_values)
    box = [(ball.lo, ball.hi) for ball in balls]
    if entry.singular(box):
        return [ctx.inf] * len(centre_values)
    worst = [ctx.zero] * len(centre_values)
    for corner in _corners(balls):
        if entry.domain(ctx, *corner) is not None:
            return [ctx.inf] * len(centre_values)
        results = evaluate(corner)
        for position, (result, centre) in enumerate(zip(results, centre_values)):
            if centre is None or result is None:
                continue
            worst[position] = max(worst[position], abs(result - centre))
    if entry.bound is not None:
        worst = [min(w, ctx.mpf(2 * entry.bound)) for w in worst]
    return worst


def attainable_balls(truth: "Truth", fmt: FloatFormat) -> Attainable:
    """Propagate ``fmt`` rounding through ``truth``'s graph, forward and backward."""
    from ._truth import local_derivative_balls

    ctx = context(160)
    graph = truth.graph
    rho = ctx.mpf(fmt.rho)
    inputs = {name: _input_ball(ctx, truth.point[name], fmt) for name in graph.inputs}
    values: list[Ball] = []
    local_balls: list[list[Optional[Ball]]] = []

    for index, node in enumerate(graph.nodes):
        entry = OPS[node.op]
        operand_balls = [
            _input_ball(ctx, arg.value, fmt) if isinstance(arg, Const)
            else inputs[arg] if isinstance(arg, str) else values[arg]
            for arg in node.args
        ]
        centre = truth.node_values[index]
        moved = _deviation(ctx, entry, operand_balls, [centre], lambda args: [entry.forward(ctx, *args)])[0]
        if abs(centre) > fmt.max:
            radius = ctx.inf
        elif moved == 0 and fmt.representable(centre):
            radius = ctx.zero
        else:
            radius = moved + rho * abs(centre) + fmt.floor
        values.append(Ball(centre, radius))

        exact = local_derivative_balls(truth, ctx, index)
        centres = [None if ball is None or ctx.isnan(ball.centre) else ball.centre for ball in exact]
        slopes = _deviation(ctx, entry, operand_balls, centres, lambda args: entry.partials(ctx, *args))
        node_locals: list[Optional[Ball]] = []
        for ball, slope in zip(exact, slopes):
            if ball is None:
                node_locals.append(None)
                continue
            radius = ball.radius + slope + _rounding(ctx, rho, ball.centre, fmt.floor)
            node_locals.append(Ball(ball.centre, radius))
        local_balls.append(node_locals)

    adjoints = [Ball(ctx.zero, ctx.zero) for _ in graph.nodes]
    adjoints[-1] = Ball(ctx.one, ctx.zero)
    leaves = {name: Ball(ctx.zero, ctx.zero) for name in graph.inputs}
    for index in range(len(graph.nodes) - 1, -1, -1):
        adjoint = adjoints[index]
        for arg, local in zip(graph.nodes[index].args, local_balls[index]):
            if local is None or ctx.isnan(local.centre):
                continue
            product = adjoint.times(local, ctx)
            product = Ball(product.centre, product.radius + _rounding(ctx, rho, product.centre, fmt.floor))
            if isinstance(arg, str):
                total = leaves[arg].plus(product)
                leaves[arg] = Ball(total.centre, total.radius + _rounding(ctx, rho, total.centre, fmt.floor))
            else:
                total = adjoints[arg].plus(product)
                adjoints[arg] = Ball(total.centre, total.radius + _rounding(ctx, rho, total.centre, fmt.floor))
    adjoints = [_overflowed(ctx, ball, fmt) for ball in adjoints]
    leaves = {name: _overflowed(ctx, ball, fmt) for name, ball in leaves.items()}
    return Attainable(values, adjoints, leaves)


def _overflowed(ctx: Any, ball: Ball, fmt: FloatFormat) -> Ball:
    """A finite centre beyond the format's range cannot be produced: widen it."""
    if ctx.isfinite(ball.centre) and abs(ball.centre) > fmt.max:
        return Ball(ball.centre, ctx.inf)
    return ball


def _rounding(ctx: Any, rho: Mpf, centre: Mpf, floor: float) -> Mpf:
    """Rounding error of one float operation with result ``centre``: relative
    above the normal range, at most one subnormal step below it."""
    if not ctx.isfinite(centre) or centre == 0:
        return ctx.zero
    return rho * abs(centre) + floor
