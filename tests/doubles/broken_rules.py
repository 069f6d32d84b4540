"""Broken doubles with one wrong local rule each: a derivative, a kink or a reflected operator.

Each class sets ``fault`` (one line), ``faulty_ops`` (the op whose rule is
wrong) and ``witness``: an expression and point where its gradient differs
from a correct engine's.
"""

from __future__ import annotations

import math
from typing import Any

from .good import GoodValue, divide, ieee, power


class Broken(GoodValue):
    """Base of the broken doubles: ``GoodValue`` plus the fault's description."""

    fault: str = ""
    faulty_ops: frozenset[str] = frozenset()
    #: An expression and point where the fault shows.
    witness: tuple[str, dict[str, float]] = ("", {})
    #: "run" when a single run differs from a correct engine, "state" when
    #: only the backward-twice or reuse checks see the fault.
    detected_by: str = "run"


class AddDropsSecond(Broken):
    """add: d(a + b)/db is 0 instead of 1."""

    fault = "add passes no gradient to its second operand"
    faulty_ops = frozenset({"add"})
    witness = ("a + b", {"a": 1.0, "b": 2.0})

    def _slope_add(self, a: float, b: float) -> tuple[float, float]:
        return 1.0, 0.0


class MulSwapped(Broken):
    """mul: d(a*b)/da is a instead of b (the local derivatives are swapped)."""

    fault = "mul swaps its local derivatives: d(a*b)/da = a"
    faulty_ops = frozenset({"mul"})
    witness = ("a*b", {"a": 2.0, "b": 3.0})

    def _slope_mul(self, a: float, b: float) -> tuple[float, float]:
        return a, b


class DivSignLost(Broken):
    """div: d(a/b)/db is +a/b**2 instead of -a/b**2."""

    fault = "div drops the minus sign of d(a/b)/db"
    faulty_ops = frozenset({"div"})
    witness = ("a/b", {"a": 1.0, "b": 2.0})

    def _slope_div(self, a: float, b: float) -> tuple[float, float]:
        return divide(1.0, b), divide(divide(a, b), b)


class PowAlwaysSquare(Broken):
    """pow: d(x**c)/dx is hard-coded to 2*x, right only for c = 2."""

    fault = "pow's derivative is hard-coded to 2*x whatever the exponent"
    faulty_ops = frozenset({"pow"})
    witness = ("a**3", {"a": 1.5})

    def _slope_pow(self, x: float, exponent: float) -> float:
        return 2.0 * x


class TanhNotSquared(Broken):
    """tanh: tanh' is 1 - tanh instead of 1 - tanh**2."""

    fault = "tanh' is 1 - tanh(x) instead of 1 - tanh(x)**2"
    faulty_ops = frozenset({"tanh"})
    witness = ("tanh(a)", {"a": 0.5})

    def _slope_tanh(self, x: float, out: float) -> float:
        return 1.0 - out


class SigmoidOnePlus(Broken):
    """sigmoid: sigmoid' is s*(1 + s) instead of s*(1 - s)."""

    fault = "sigmoid' is s*(1 + s) instead of s*(1 - s)"
    faulty_ops = frozenset({"sigmoid"})
    witness = ("sigmoid(a)", {"a": 0.3})

    def _slope_sigmoid(self, x: float, out: float) -> float:
        return out * (1.0 + out)


class ExpUsesInput(Broken):
    """exp: exp'(x) is x instead of exp(x)."""

    fault = "exp' uses the input x instead of exp(x)"
    faulty_ops = frozenset({"exp"})
    witness = ("exp(a)", {"a": 1.5})

    def _slope_exp(self, x: float, out: float) -> float:
        return x


class LogInverseSquare(Broken):
    """log: log'(x) is 1/x**2 instead of 1/x."""

    fault = "log' is 1/x**2 instead of 1/x"
    faulty_ops = frozenset({"log"})
    witness = ("log(a)", {"a": 2.0})

    def _slope_log(self, x: float, out: float) -> float:
        return divide(1.0, x * x)


class SinNegated(Broken):
    """sin: sin' is -cos instead of cos."""

    fault = "sin' is -cos(x) instead of cos(x)"
    faulty_ops = frozenset({"sin"})
    witness = ("sin(a)", {"a": 0.5})

    def _slope_sin(self, x: float) -> float:
        return -ieee(math.cos, x)


class CosSignLost(Broken):
    """cos: cos' is sin instead of -sin."""

    fault = "cos' is sin(x) instead of -sin(x)"
    faulty_ops = frozenset({"cos"})
    witness = ("cos(a)", {"a": 0.5})

    def _slope_cos(self, x: float) -> float:
        return ieee(math.sin, x)


class SqrtNoHalf(Broken):
    """sqrt: sqrt' is 1/sqrt(x) instead of 1/(2*sqrt(x))."""

    fault = "sqrt' drops the factor 1/2"
    faulty_ops = frozenset({"sqrt"})
    witness = ("sqrt(a)", {"a": 4.0})

    def _slope_sqrt(self, x: float, out: float) -> float:
        return divide(1.0, out)


class AbsIgnoresSign(Broken):
    """abs: abs' is 1 everywhere instead of sign(x)."""

    fault = "abs' is 1 for negative x too"
    faulty_ops = frozenset({"abs"})
    witness = ("abs(a)", {"a": -2.0})

    def _slope_abs(self, x: float) -> float:
        return 1.0


class ReluPassesNegative(Broken):
    """relu: relu' is 1 for negative x too."""

    fault = "relu' is 1 for negative x"
    faulty_ops = frozenset({"relu"})
    witness = ("relu(a)", {"a": -1.0})

    def _slope_relu(self, x: float) -> float:
        return 1.0


class RsubSwapped(Broken):
    """``2 - x`` is computed as ``x - 2`` in ``__rsub__``."""

    fault = "__rsub__ computes x - c instead of c - x"
    faulty_ops = frozenset({"sub"})
    witness = ("2 - a", {"a": 0.5})

    def __rsub__(self, other: Any) -> GoodValue:
        return self - other


class RtruedivSwapped(Broken):
    """``2 / x`` is computed as ``x / 2`` in ``__rtruediv__``."""

    fault = "__rtruediv__ computes x / c instead of c / x"
    faulty_ops = frozenset({"div"})
    witness = ("2 / a", {"a": 0.5})

    def __rtruediv__(self, other: Any) -> GoodValue:
        return self / other


class RpowAsPower(Broken):
    """``2 ** x`` has the right value but is differentiated as ``x ** 2``."""

    fault = "__rpow__ differentiates c**x as if it were x**c"
    faulty_ops = frozenset({"rpow"})
    witness = ("2 ** a", {"a": 1.5})

    def __rpow__(self, other: Any) -> GoodValue:
        base = float(other)
        return self._node(power(base, self.data), (self,), (base * power(self.data, base - 1),))


class SubPlusOne(Broken):
    """Primitive subtraction with d(a - b)/db = +1 instead of -1."""

    fault = "sub passes +1 instead of -1 to its second operand"
    faulty_ops = frozenset({"sub"})
    witness = ("a - b", {"a": 1.0, "b": 2.0})

    def _slope_sub(self, a: float, b: float) -> tuple[float, float]:
        return 1.0, 1.0


class ReluKinkTwo(Broken):
    """relu'(0) = 2, outside the allowed range [0, 1]."""

    fault = "relu'(0) is 2, outside the subgradient range [0, 1]"
    faulty_ops = frozenset({"relu"})
    witness = ("relu(a)", {"a": 0.0})

    def _slope_relu(self, x: float) -> float:
        return 1.0 if x > 0 else (2.0 if x == 0 else 0.0)


class AbsKinkNan(Broken):
    """abs'(0) = nan instead of a value in [-1, 1]."""

    fault = "abs'(0) is nan"
    faulty_ops = frozenset({"abs"})
    witness = ("abs(a)", {"a": 0.0})

    def _slope_abs(self, x: float) -> float:
        return 1.0 if x > 0 else (-1.0 if x < 0 else math.nan)


class ExpOffByPpm(Broken):
    """exp' = exp(x)*(1 + 1e-6): wrong by one part in a million."""

    fault = "exp' is exp(x)*(1 + 1e-6)"
    faulty_ops = frozenset({"exp"})
    witness = ("exp(a)", {"a": 1.0})

    def _slope_exp(self, x: float, out: float) -> float:
        return out * (1.0 + 1e-6)


class TanhOverflows(Broken):
    """tanh via exp(2x): raises OverflowError for x > 355 where tanh(x) is 1."""

    fault = "tanh computed as (exp(2x) - 1)/(exp(2x) + 1) raises OverflowError for x > 355"
    faulty_ops = frozenset({"tanh"})
    witness = ("tanh(a)", {"a": 400.0})

    def tanh(self) -> GoodValue:
        e = math.exp(2.0 * self.data)  # raises OverflowError past about 354.9
        out = (e - 1.0) / (e + 1.0)
        return self._node(out, (self,), (1.0 - out * out,))
