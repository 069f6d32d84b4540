"""The oracle's own stages, one graph set per round: truth, attainable balls, judging."""

from __future__ import annotations

from typing import Any

from _graphset import GraphSet, label
from engines import ReferenceEngine
from oracle._truth import Truth, compute_truth
from oracle._verdict import judge


def compute_truths(graph_set: GraphSet, *, finite_differences: bool = True) -> list[Truth]:
    return [compute_truth(graph, point, finite_differences=finite_differences) for graph, point in graph_set.examples]


def test_truth(benchmark: Any, any_set: GraphSet) -> None:
    label(benchmark, any_set, "truth")
    truths = benchmark(compute_truths, any_set)
    benchmark.extra_info["confirmed_entries"] = sum(
        entry.confirmed for truth in truths for entry in truth.gradient.values()
    )
    benchmark.extra_info["gradient_entries"] = sum(len(truth.gradient) for truth in truths)


def test_truth_without_fd(benchmark: Any, any_set: GraphSet) -> None:
    label(benchmark, any_set, "truth, no finite differences")
    benchmark(compute_truths, any_set, finite_differences=False)


def test_attainable(benchmark: Any, any_set: GraphSet) -> None:
    """Time ``attainable("float64")`` on fresh truths: each truth caches its balls."""
    label(benchmark, any_set, "attainable float64")

    def fresh_truths() -> tuple[tuple[list[Truth]], dict[str, Any]]:
        return (compute_truths(any_set, finite_differences=False),), {}

    def attainable_all(truths: list[Truth]) -> None:
        for truth in truths:
            if truth.status in ("ok", "overflow"):
                truth.attainable("float64")

    benchmark.pedantic(attainable_all, setup=fresh_truths, rounds=20, iterations=1)


def test_judge(benchmark: Any, any_set: GraphSet) -> None:
    """Time ``judge`` alone: truths, their attainable balls and the results are ready."""
    label(benchmark, any_set, "judge")
    engine = ReferenceEngine()
    cases = []
    for truth in compute_truths(any_set):
        if truth.status in ("ok", "overflow"):
            truth.attainable("float64")
        cases.append((truth, engine.run(truth.graph, truth.point)))

    def judge_all() -> list[Any]:
        return [judge(truth, result, engine="reference", reference=result) for truth, result in cases]

    verdicts = benchmark(judge_all)
    benchmark.extra_info["verdicts"] = sorted({verdict.kind for verdict in verdicts})
