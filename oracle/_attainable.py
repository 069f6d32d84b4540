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
        if not self.radius and not other.radius:
            return Ball(self.centre * other.centre, self.radius)
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
        if float(self.radius) == math.inf:  # nothing is pinned down, not even finiteness
            return True
        if math.isnan(value):
            return False
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
    """Return an input or constant as the engine stores it: exact when the
    format represents it, beyond reach when it overflows the format, else rounded."""
    exact = ctx.mpf(value)
    if fmt.representable(exact):
        return Ball(exact, 0.0)
    if abs(value) > fmt.max:
        return Ball(exact, math.inf)
    return Ball(exact, abs(value) * fmt.rho + fmt.floor)


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
    if entry.bound is not None and entry.name in ("sin", "cos") and max(float(b.radius) for b in balls) > 1:
        # Corners cannot bound a periodic function over more than part of a
        # period: the result may be anywhere in its range.
        return [ctx.mpf(2 * entry.bound)] * len(centre_values)
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


def _linear_bounds(op: str, centres: list[float], radii: list[float]) -> Optional[tuple[float, list[float]]]:
    """Bound, without evaluating the op, how far its result and each local
    derivative move over the operand box, for the ops where that is exact:
    sums, products, and the piecewise-linear relu, abs, max and min.
    ``centres`` are operand magnitudes; returns None for the other ops."""
    if op in ("add", "sub"):
        return radii[0] + radii[1], [0.0, 0.0]
    if op == "neg":
        return radii[0], [0.0]
    if op == "mul":
        a, b = centres
        ra, rb = radii
        return a * rb + b * ra + ra * rb, [rb, ra]
    if op in ("relu", "abs"):
        straddles = centres[0] <= radii[0]
        jump = (1.0 if op == "relu" else 2.0) if straddles else 0.0
        return radii[0], [jump]
    if op in ("max", "min"):
        return max(radii), [1.0, 1.0]
    return None


def _magnitudes(balls: Sequence[Ball]) -> list[float]:
    return [_float_abs(ball.centre) for ball in balls]


def attainable_balls(truth: "Truth", fmt: FloatFormat) -> Attainable:
    """Propagate ``fmt`` rounding through ``truth``'s graph, forward and backward.

    Centres are the truth's own high-precision values and chain-rule
    adjoints; only the radii are computed here, as Python floats (they need
    a few correct digits, and float overflow to inf is the safe direction).
    """
    from ._truth import local_derivative_balls

    ctx = context(160)
    graph = truth.graph
    rho = fmt.rho
    inputs = {name: _input_ball(ctx, truth.point[name], fmt) for name in graph.inputs}
    values: list[Ball] = []
    local_radii: list[list[Optional[tuple[float, float, bool]]]] = []

    for index, node in enumerate(graph.nodes):
        entry = OPS[node.op]
        operand_balls = [
            _input_ball(ctx, arg.value, fmt) if isinstance(arg, Const)
            else inputs[arg] if isinstance(arg, str) else values[arg]
            for arg in node.args
        ]
        centre = truth.node_values[index]
        radii_in = [float(ball.radius) for ball in operand_balls]
        exact = local_derivative_balls(truth, ctx, index)
        centres = [None if ball is None or ctx.isnan(ball.centre) else ball.centre for ball in exact]
        linear = None
        if any(radii_in) and all(math.isfinite(r) for r in radii_in):
            linear = _linear_bounds(node.op, _magnitudes(operand_balls), radii_in)
            if linear is not None and node.op in ("max", "min"):
                a, b = operand_balls
                if abs(a.centre - b.centre) > radii_in[0] + radii_in[1]:
                    linear = (linear[0], [0.0, 0.0])  # the boxes do not overlap: no tie is possible
        if linear is not None:
            moved, slopes = linear[0], linear[1]
        else:
            moved = _deviation(ctx, entry, operand_balls, [centre], lambda args: [entry.forward(ctx, *args)])[0]
            slopes = _deviation(ctx, entry, operand_balls, centres, lambda args: entry.partials(ctx, *args))
        magnitude = _float_abs(centre)
        if magnitude > fmt.max:
            radius = math.inf
        elif moved == 0 and centre == 0:
            radius = 0.0  # exact operands with an exact zero result: x - x, 0*y
        else:
            # Even a result the format represents exactly gets a rounding: an engine
            # may compose the op (x/x as x * x**-1 gives 0.9999999999999999).
            radius = float(moved) + rho * magnitude + fmt.floor
        values.append(Ball(centre, radius))

        node_radii: list[Optional[tuple[float, float, bool]]] = []
        for ball, slope in zip(exact, slopes):
            if ball is None or ctx.isnan(ball.centre):
                node_radii.append(None)
                continue
            size = _float_abs(ball.centre)
            rounding = _rounding(rho, size, fmt.floor, ball.centre != 0)
            node_radii.append((size, float(ball.radius) + float(slope) + rounding, ball.centre != 0))
        local_radii.append(node_radii)

    radii = [0.0] * len(graph.nodes)
    leaf_radii = {name: 0.0 for name in graph.inputs}
    for index in range(len(graph.nodes) - 1, -1, -1):
        adjoint = truth.node_adjoints[index].centre
        size = _float_abs(adjoint)
        radius = radii[index]
        for arg, local in zip(graph.nodes[index].args, local_radii[index]):
            if local is None:
                continue
            slope, slope_radius, slope_nonzero = local
            # Ball product, then one rounding for the product and one for
            # the sum it is added to.
            term = _times(size, slope_radius) + _times(radius, slope) + _times(radius, slope_radius)
            term += 2 * _rounding(rho, _times(size, slope), fmt.floor, slope_nonzero and adjoint != 0)
            if isinstance(arg, str):
                leaf_radii[arg] += term
            else:
                radii[arg] += term
    adjoints = [_ball(ctx, truth.node_adjoints[i].centre, radii[i], fmt) for i in range(len(graph.nodes))]
    leaves = {name: _ball(ctx, truth.gradient[name].value, leaf_radii[name], fmt) for name in graph.inputs}
    return Attainable(values, adjoints, leaves)


def _float_abs(value: Mpf) -> float:
    """|value| as a float: inf beyond float range and for nan (nothing is pinned down)."""
    magnitude = abs(float(value))
    return math.inf if math.isnan(magnitude) else magnitude


def _times(a: float, b: float) -> float:
    """a*b for radii: an infinite factor wins even over 0, because a float
    engine may compute 0 * inf = nan there."""
    if a == math.inf or b == math.inf:
        return math.inf
    return a * b


def _ball(ctx: Any, centre: Mpf, radius: float, fmt: FloatFormat) -> Ball:
    if ctx.isfinite(centre) and abs(centre) > fmt.max:
        return Ball(centre, math.inf)
    return Ball(centre, radius)


def _rounding(rho: float, size: float, floor: float, nonzero: bool) -> float:
    """Rounding error of one float operation with a result of magnitude
    ``size``: relative above the normal range, one subnormal step below it
    (``size`` may have underflowed to 0.0 while the true result is not 0)."""
    if not nonzero or size == math.inf:
        return 0.0
    return rho * size + floor
