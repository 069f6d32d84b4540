"""`gradoracle fuzz` with default settings catches every broken double and
shrinks it; doubles that compute the same maths with other code stay silent."""

from __future__ import annotations

import pytest

from oracle._campaign import fuzz
from oracle._options import DEFAULT_MAX_EXAMPLES

from .doubles import CORRECT, DOUBLES, VARIANTS

# The recursive-topology double fails only past ~1000 levels, which random
# graphs of default size never reach; it is checked on a deep chain below.
SHALLOW = {name: cls for name, cls in DOUBLES.items() if name != "RecursiveTopology"}


@pytest.mark.parametrize("name", sorted(SHALLOW))
def test_fuzz_catches_broken_double(name, tmp_path):
    result = fuzz([f"tests.doubles:{name}"], max_examples=DEFAULT_MAX_EXAMPLES, seed=0, report_dir=tmp_path)

    assert result.defects, f"{name} ({DOUBLES[name].fault}) was not caught"
    smallest = min(defect.size for defect in result.defects)
    assert smallest <= 4, [defect.verdict.truth.graph.expression() for defect in result.defects]
    assert all(defect.path is not None and defect.path.exists() for defect in result.defects)


@pytest.mark.parametrize("name", sorted(CORRECT) + sorted(VARIANTS))
def test_fuzz_silent_on_correct_double(name):
    result = fuzz([f"tests.doubles:{name}"], max_examples=DEFAULT_MAX_EXAMPLES, seed=0)

    assert not result.defects, [(d.verdict.kind, d.verdict.truth.graph.expression(), d.verdict.truth.point,
                                 [(f.target, f.engine_value, f.truth) for f in d.verdict.divergences])
                                for d in result.defects]


def test_recursive_topology_fails_on_deep_chain():
    from oracle._check import check_expression

    verdict = check_expression("tests.doubles:RecursiveTopology", "a" + " + 1" * 3000, {"a": 0.5})

    assert verdict.kind == "crash"
    assert "RecursionError" in verdict.divergences[0].message
