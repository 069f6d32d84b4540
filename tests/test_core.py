"""The oracle core: worked example, broken doubles, tolerances, precision hygiene."""

from __future__ import annotations

import math

import mpmath
import pytest

from engines import ReferenceEngine
from oracle import parse_expression
from oracle._check import check, check_expression
from oracle._precision import backend
from oracle._truth import compute_truth

from .reference_doubles import BROKEN, CORRECT_VARIANTS, VariantEngine

WORKED = "e = a*b; d = e + c; L = d*f"
WORKED_POINT = {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}


def test_worked_example_truth():
    truth = compute_truth(parse_expression(WORKED), WORKED_POINT)

    assert truth.value == -8
    assert {name: float(entry.value) for name, entry in truth.gradient.items()} == {
        "a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0,
    }
    assert all(entry.confirmed for entry in truth.gradient.values())


def test_worked_example_node_adjoints():
    graph = parse_expression(WORKED)
    truth = compute_truth(graph, WORKED_POINT)
    result = ReferenceEngine().run(graph, WORKED_POINT)
    labels = [graph.node_label(i) for i in range(len(graph.nodes))]

    assert labels == ["e", "d", "L"]
    assert [float(ball.centre) for ball in truth.node_adjoints] == [-2.0, -2.0, 1.0]
    assert result.node_adjoints == [-2.0, -2.0, 1.0]
    assert result.value == -8.0
    assert result.gradient == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0}


def test_worked_example_reference_agrees():
    verdict = check_expression("reference", WORKED, WORKED_POINT)

    assert verdict.ok
    assert verdict.kind == "agree"


@pytest.mark.parametrize("case", BROKEN, ids=lambda case: case.name)
def test_broken_double_is_reported(case):
    engine = VariantEngine(case.value_class, case.name)
    verdict = check_expression(engine, case.expression, case.point)

    assert not verdict.ok, f"{case.name} was not reported"
    assert verdict.kind in case.kinds, [(f.kind, f.target, f.message) for f in verdict.divergences]


@pytest.mark.parametrize("case", [case for case in BROKEN if case.faulty_op], ids=lambda case: case.name)
def test_broken_double_is_localised(case):
    engine = VariantEngine(case.value_class, case.name)
    verdict = check_expression(engine, case.expression, case.point)

    assert verdict.blame is not None
    assert verdict.blame.op == case.faulty_op


@pytest.mark.parametrize("case", BROKEN, ids=lambda case: case.name)
def test_reference_is_silent_on_broken_probes(case):
    verdict = check_expression("reference", case.expression, case.point)

    assert verdict.ok
    assert verdict.kind in ("agree", "convention")


# Graphs where float64 loses many digits: cancellation, saturation, huge and
# tiny magnitudes, overflowing intermediates.
ILL_CONDITIONED = [
    ("x - y", {"x": 1.0, "y": 1.0000000000000002}),
    ("(x + y) - x", {"x": 1e16, "y": 1.0}),
    ("exp(x) - exp(y)", {"x": 1.0, "y": 1.0000000000000002}),
    ("log(x)", {"x": 1.0000000000000002}),
    ("tanh(x)*y - y", {"x": 19.0, "y": 3.0}),
    ("sin(x)", {"x": 1e22}),
    ("cos(x)*x", {"x": 1.5707963267948966}),
    ("1/(x - y)", {"x": 1.0, "y": 0.9999999999999999}),
    ("sigmoid(x) - 1", {"x": 40.0}),
    ("sqrt(x - y)", {"x": 1.0000000000000002, "y": 1.0}),
    ("x**y", {"x": 1.0000000000000002, "y": 1e16}),
    ("(x*y - z)**3", {"x": 0.1, "y": 3.0, "z": 0.30000000000000004}),
    ("relu(x*y - z)", {"x": 0.1, "y": 3.0, "z": 0.30000000000000004}),
    ("max(x*y, z)", {"x": 0.1, "y": 3.0, "z": 0.30000000000000004}),
    ("exp(exp(x))", {"x": 6.5}),
    ("t = x - y; t*t/(t + 1)", {"x": 1.0, "y": 1.0}),
]
WELL_CONDITIONED = [
    ("exp(x)*y", {"x": 0.5, "y": 1.25}),
    ("exp(x) + sin(y)", {"x": -1.5, "y": 0.25}),
    ("t = exp(x); t*t - t", {"x": 0.75}),
]


@pytest.mark.parametrize("variant", ["reference", *CORRECT_VARIANTS])
def test_correct_engines_silent_on_ill_conditioned(variant):
    engine = "reference" if variant == "reference" else VariantEngine(CORRECT_VARIANTS[variant], variant)
    for expression, point in ILL_CONDITIONED + WELL_CONDITIONED:
        verdict = check_expression(engine, expression, point)
        assert verdict.ok, (expression, [(f.kind, f.target, f.engine_value, f.truth) for f in verdict.divergences])


def test_tolerance_separates_rounding_from_one_ppm():
    """On one run: every correct engine passes every graph, ill-conditioned ones
    included, and the one-part-in-a-million exp derivative fails every
    well-conditioned graph that uses exp."""
    ppm = next(case for case in BROKEN if case.name == "exp-one-ppm")
    faulty = VariantEngine(ppm.value_class, ppm.name)
    correct = [ReferenceEngine()] + [VariantEngine(cls, name) for name, cls in CORRECT_VARIANTS.items()]

    for expression, point in ILL_CONDITIONED + WELL_CONDITIONED:
        graph = parse_expression(expression)
        truth = compute_truth(graph, point)
        for engine in correct:
            assert check(engine, graph, point, truth=truth).ok, (engine.name, expression)
    for expression, point in WELL_CONDITIONED:
        graph = parse_expression(expression)
        verdict = check(faulty, graph, point)
        assert verdict.kind == "wrong-gradient", expression
        error = max(f.relative_error for f in verdict.divergences if f.relative_error is not None)
        assert error == pytest.approx(1e-6, rel=0.01)


def test_global_precision_untouched():
    before = (mpmath.mp.prec, mpmath.mp.dps)
    check_expression("reference", "tanh(x)**3 - 2/y", {"x": 0.5, "y": 3.0})
    check_expression("reference", "exp(exp(x))", {"x": 700.0})

    assert (mpmath.mp.prec, mpmath.mp.dps) == before


def test_gmpy2_backend_in_use():
    pytest.importorskip("gmpy2")

    assert backend() == "gmpy"


@pytest.mark.parametrize("expression, point, status", [
    ("log(x)", {"x": -1.0}, "domain"),
    ("x/y", {"x": 1.0, "y": 0.0}, "domain"),
    ("sqrt(x)", {"x": -4.0}, "domain"),
    ("x**-1", {"x": 0.0}, "domain"),
    ("x**0.5", {"x": -1.0}, "domain"),
    ("exp(x)*x", {"x": 710.0}, "overflow"),
    ("exp(exp(exp(x)))", {"x": 10.0}, "beyond"),
])
def test_truth_classifies_domain_and_range(expression, point, status):
    assert compute_truth(parse_expression(expression), point).status == status


def test_outside_domain_is_not_a_divergence():
    verdict = check_expression("reference", "log(x)", {"x": -1.0})

    assert verdict.ok
    assert verdict.skipped is not None
    assert "logarithm" in verdict.skipped


def test_finite_differences_confirm_every_smooth_entry():
    truth = compute_truth(parse_expression("tanh(x)**3 - 2/y + x**y"), {"x": 0.5, "y": 3.0})

    for entry in truth.gradient.values():
        assert entry.confirmed
        assert entry.fd_error is not None
        assert entry.fd_error < 1e-30


def test_kink_admissible_range():
    truth = compute_truth(parse_expression("relu(x) + abs(y) + max(x, z)"), {"x": 0.0, "y": 0.0, "z": 0.0})

    ranges = {name: tuple(float(v) for v in entry.admissible) for name, entry in truth.gradient.items()}
    assert ranges == {"x": (0.0, 2.0), "y": (-1.0, 1.0), "z": (0.0, 1.0)}
    assert math.isfinite(float(truth.value))
