"""Real gradient bugs from public reports, each cut down to a scalar graph.

Each case runs a micrograd-style double that behaves as the faulty engine
did, and the correct reference engine on the same computation.  The faulty
engine must get the verdict kind the case names; the reference engine must
get no divergence.
"""

from __future__ import annotations

import math

import pytest

from engines.reference import Value, _power
from oracle._check import check_expression

from .reference_doubles import VariantEngine, wrong_local


class PathsValue(Value):
    """Early micrograd: each node pushes its whole gradient down once per path
    (karpathy/micrograd#2)."""

    def backward(self):
        for node in self.topological_order():
            node.grad = 0.0
        self.grad = 1.0
        self._push()

    def _push(self):
        for parent, local in zip(self._parents, self._local):
            parent.grad += local * self.grad
        for parent in self._parents:
            parent._push()


class DuplicateChildrenValue(Value):
    """Children kept with duplicates and no visited set (karpathy/micrograd PR #64)."""

    def backward(self):
        order = []

        def visit(node):
            for parent in node._parents:
                visit(parent)
            order.append(node)

        visit(self)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            for parent, local in zip(node._parents, node._local):
                parent.grad += local * node.grad


class LogNegativeBaseValue(Value):
    """powv backward takes log of the base even when it is negative
    (karpathy/micrograd PR #41)."""

    def __pow__(self, other):
        out = super().__pow__(other)
        if isinstance(other, Value):
            out._local = (out._local[0], out.data * math.log(self.data))
        return out


class NaiveZeroPowerValue(Value):
    """d(x**c)/dx computed as c * x**(c - 1) with Python floats, so x**0 at 0
    raises ZeroDivisionError (PyTorch 0.4; micrograd today)."""

    def __pow__(self, other):
        out = super().__pow__(other)
        if not isinstance(other, Value):
            out._local = (other * self.data ** (other - 1),)
        return out


class IeeeZeroPowerValue(Value):
    """The same rule with IEEE floats: 0 * inf = nan."""

    def __pow__(self, other):
        out = super().__pow__(other)
        if not isinstance(other, Value):
            out._local = (other * _power(self.data, other - 1),)
        return out


def _with_kink(op_name, slope):
    return wrong_local(op_name, lambda local, out, args: (slope,) if args[0].data == 0 else local)


PrimitiveSubValue = wrong_local("sub", lambda local, out, args: (1.0, 1.0))
PowTwoXValue = wrong_local("pow", lambda local, out, args: (2 * args[0].data,))

CASES = [
    ("K01", PathsValue, "a = x + 1; a*a", {"x": 3.0}, "wrong-gradient"),
    ("K02", DuplicateChildrenValue, "b = a + a; b + b", {"a": 1.0}, "wrong-gradient"),
    ("K04", LogNegativeBaseValue, "a**b", {"a": -2.0, "b": -3.0}, "crash"),
    ("K05", PrimitiveSubValue, "a - b", {"a": 5.0, "b": 3.0}, "wrong-gradient"),
    ("K06-one", _with_kink("abs", 1.0), "abs(x)", {"x": 0.0}, "convention"),
    ("K06-zero", _with_kink("abs", 0.0), "abs(x)", {"x": 0.0}, "convention"),
    ("K06-nan", _with_kink("abs", math.nan), "abs(x)", {"x": 0.0}, "non-finite"),
    ("K07", PowTwoXValue, "x**3", {"x": 2.0}, "wrong-gradient"),
    ("K08", Value, "1/(1 + exp(-x))", {"x": -710.0}, "float64-inherent"),
    ("K09-raise", NaiveZeroPowerValue, "x**0", {"x": 0.0}, "crash"),
    ("K09-nan", IeeeZeroPowerValue, "x**0", {"x": 0.0}, "non-finite"),
    ("K10-relu", Value, "relu(x)", {"x": 0.0}, "convention"),
    ("K10-max", Value, "max(x, 0)", {"x": 0.0}, "convention"),
    ("K10-relu-one", _with_kink("relu", 1.0), "relu(x)", {"x": 0.0}, "convention"),
    ("K11", Value, "sqrt(x) + 1", {"x": 0.0}, "agree"),
    ("K12", Value, "log(sigmoid(x))", {"x": -1000.0}, "float64-inherent"),
    ("K13", Value, "sqrt(x*x)**2", {"x": 0.0}, "ad-inherent"),
    ("K14", _with_kink("abs", 1.0), "abs(x)", {"x": 0.0}, "convention"),
]


@pytest.mark.parametrize("case, value_class, expression, point, kind", CASES, ids=[c[0] for c in CASES])
def test_known_bug_verdict(case, value_class, expression, point, kind):
    verdict = check_expression(VariantEngine(value_class, case), expression, point)

    assert verdict.kind == kind, [(f.kind, f.target, f.engine_value, f.truth, f.message)
                                  for f in verdict.divergences + verdict.informational]


@pytest.mark.parametrize("case, value_class, expression, point, kind", CASES, ids=[c[0] for c in CASES])
def test_known_bug_reference_silent(case, value_class, expression, point, kind):
    verdict = check_expression("reference", expression, point)

    assert verdict.ok, [(f.kind, f.target, f.message) for f in verdict.divergences]


def test_k01_numbers():
    verdict = check_expression(VariantEngine(PathsValue, "K01"), "a = x + 1; a*a", {"x": 3.0})
    finding = verdict.divergences[0]

    assert finding.engine_value == 16.0
    assert finding.truth == "8.0"


def test_k04_other_entry_is_undefined_not_divergent():
    verdict = check_expression("reference", "a**b", {"a": -2.0, "b": -3.0})

    assert verdict.ok
    assert not verdict.truth.gradient["b"].defined
    assert float(verdict.truth.gradient["a"].value) == -0.1875


def test_k08_truth_shown():
    verdict = check_expression("reference", "1/(1 + exp(-x))", {"x": -710.0})
    finding = verdict.informational[0]

    assert finding.kind == "float64-inherent"
    assert finding.truth.startswith("4.476")


def test_k13_true_derivative_shown():
    verdict = check_expression("reference", "sqrt(x*x)**2", {"x": 0.0})
    finding = verdict.informational[0]

    assert finding.kind == "ad-inherent"
    assert finding.truth == "0.0"
