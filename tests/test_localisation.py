"""How often a campaign's blame names the op a broken double really got wrong.

Every broken micrograd-style double in ``tests.doubles`` exposes per-node
gradients, and those with a wrong rule name it in ``faulty_ops``.  A double
counts as localised when the first divergence its campaign reports blames
an op in ``faulty_ops``.  Doubles whose fault is in the whole engine
(topological order, gradient reset, state across calls) have empty
``faulty_ops`` and are left out.

Campaigns draw from the faulty ops plus add, mul and neg, so that the
examples reach the faulty op often.  With every op on offer, 100 examples
often miss cases such as abs of a negative operand.
"""

from __future__ import annotations

import pytest

from engines._spec import load_engine
from oracle._campaign import fuzz

from .doubles import DOUBLES

LOCALISABLE = sorted(name for name, cls in DOUBLES.items() if cls.faulty_ops)
#: A quick sample for the default suite, one per kind of rule fault.
SAMPLE = ["MulSwapped", "TanhNotSquared", "ReluKinkTwo", "AbsKinkNan", "ExpOffByPpm"]


def first_blamed_op(name: str, max_examples: int) -> tuple[bool, str | None]:
    """Fuzz double ``name``; return whether it diverged and the op its first divergence blames."""
    ops = sorted(DOUBLES[name].faulty_ops | {"add", "mul", "neg"})
    result = fuzz([load_engine(f"tests.doubles:{name}")], ops=ops, max_examples=max_examples, seed=0,
                  state_checks=False, max_nodes=6)
    if not result.defects:
        return False, None
    blame = result.defects[0].verdict.blame
    return True, None if blame is None else blame.op


def test_localisable_doubles_listed():
    assert len(LOCALISABLE) >= 15
    assert set(SAMPLE) <= set(LOCALISABLE)


@pytest.mark.parametrize("name", SAMPLE)
def test_localisation_sample(name):
    found, op = first_blamed_op(name, max_examples=40)

    assert found
    assert op in DOUBLES[name].faulty_ops


@pytest.mark.slow
def test_localisation_rate():
    outcomes = {name: first_blamed_op(name, max_examples=100) for name in LOCALISABLE}
    found = [name for name, (diverged, _) in outcomes.items() if diverged]
    localised = [name for name in found if outcomes[name][1] in DOUBLES[name].faulty_ops]
    missed = {name: outcomes[name] for name in LOCALISABLE if name not in localised}

    assert len(found) / len(LOCALISABLE) >= 0.9, f"not detected or not localised: {missed}"
    assert len(localised) / len(found) >= 0.95, f"not detected or not localised: {missed}"


def test_shared_input_blames_faulty_consumer():
    """An input read by several consumers has one total adjoint; the blame is
    settled by running each consumer's op alone."""
    from oracle._check import check_expression

    engine = load_engine("tests.doubles:AddDropsSecond")
    verdict = check_expression(engine, "y*-(x + y)", {"x": 0.5, "y": 1.5})

    assert verdict.blame is not None
    assert verdict.blame.op == "add"
