"""The reference engine against the high-precision truth on random graphs.

The truth's finite differences use only forward rules, so agreement here
checks every derivative rule of the reference engine and of the op table.
A report on the reference engine is a false report of the oracle.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from engines import ReferenceEngine
from oracle._check import check
from oracle._truth import compute_truth
from strategies import examples

ENGINE = ReferenceEngine()
SETTINGS = dict(deadline=None, database=None, suppress_health_check=list(HealthCheck), derandomize=True)


def _assert_silent_and_confirmed(example):
    graph, point = example
    truth = compute_truth(graph, point)
    verdict = check(ENGINE, graph, point, truth=truth)

    assert verdict.ok, (graph.expression(), point, [(f.kind, f.target, f.engine_value, f.truth)
                                                   for f in verdict.divergences])
    if truth.status == "ok":
        for entry in truth.gradient.values():
            smooth = entry.defined and not entry.at_kink and entry.finite
            # Smooth entries must be confirmed by finite differences, unless the
            # function is so steep that no step resolves it (then FD has no value).
            if smooth and entry.finite_difference is not None:
                assert entry.confirmed, (graph.expression(), point, entry.input,
                                         str(entry.value), str(entry.finite_difference))


@settings(max_examples=2500, **SETTINGS)
@given(examples())
def test_reference_agrees_with_truth(example):
    _assert_silent_and_confirmed(example)


@settings(max_examples=300, **SETTINGS)
@given(examples(deep=True, max_depth=60))
def test_reference_agrees_on_deep_chains(example):
    _assert_silent_and_confirmed(example)


@pytest.mark.slow
@settings(max_examples=20_000, **SETTINGS)
@given(examples(max_nodes=16))
def test_reference_agrees_with_truth_slow(example):
    _assert_silent_and_confirmed(example)
