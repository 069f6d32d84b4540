"""Whole checks per graph set, beside ``torch.autograd.gradcheck`` on the same graphs.

``check`` computes the truth, runs the float64 reference engine and the
engine under test, and judges the result: everything a caller pays for one
example.  A campaign pays less: it computes the truth without finite
differences and runs them only when a verdict would report something
(``campaign check`` below), which on correct engines is almost never.  gradcheck compares torch's analytic gradient with its own float64
finite differences, in both of its modes.
"""

from __future__ import annotations

from typing import Any

import pytest

from _graphset import GraphSet, label
from engines import ReferenceEngine
from oracle._check import check
from oracle._truth import compute_truth


def check_all(engine: Any, graph_set: GraphSet) -> list[Any]:
    return [check(engine, graph, point) for graph, point in graph_set.examples]


def campaign_check_all(engine: Any, graph_set: GraphSet) -> list[Any]:
    return [check(engine, graph, point, truth=compute_truth(graph, point, finite_differences=False))
            for graph, point in graph_set.examples]


def test_campaign_check_reference(benchmark: Any, any_set: GraphSet) -> None:
    label(benchmark, any_set, "campaign check reference")
    verdicts = benchmark(campaign_check_all, ReferenceEngine(), any_set)
    benchmark.extra_info["verdicts"] = sorted({verdict.kind for verdict in verdicts})


def test_campaign_check_micrograd(benchmark: Any, micrograd_engine: Any, micrograd_set: GraphSet) -> None:
    label(benchmark, micrograd_set, "campaign check micrograd")
    verdicts = benchmark(campaign_check_all, micrograd_engine, micrograd_set)
    benchmark.extra_info["verdicts"] = sorted({verdict.kind for verdict in verdicts})


def test_check_reference(benchmark: Any, any_set: GraphSet) -> None:
    label(benchmark, any_set, "check reference")
    verdicts = benchmark(check_all, ReferenceEngine(), any_set)
    benchmark.extra_info["verdicts"] = sorted({verdict.kind for verdict in verdicts})


def test_check_micrograd(benchmark: Any, micrograd_engine: Any, micrograd_set: GraphSet) -> None:
    label(benchmark, micrograd_set, "check micrograd")
    verdicts = benchmark(check_all, micrograd_engine, micrograd_set)
    benchmark.extra_info["verdicts"] = sorted({verdict.kind for verdict in verdicts})


@pytest.mark.parametrize("fast_mode", [False, True], ids=["slow-mode", "fast-mode"])
def test_gradcheck(benchmark: Any, any_set: GraphSet, fast_mode: bool) -> None:
    pytest.importorskip("torch")
    from _torch_graph import gradcheck_example

    label(benchmark, any_set, f"gradcheck fast_mode={fast_mode}")

    def gradcheck_all() -> list[bool]:
        return [gradcheck_example(graph, point, fast_mode=fast_mode) for graph, point in any_set.examples]

    gradcheck_example(*any_set.examples[0], fast_mode=fast_mode)  # torch's first call pays one-off set-up
    passed = benchmark(gradcheck_all)
    benchmark.extra_info["gradcheck_passed"] = sum(passed)
