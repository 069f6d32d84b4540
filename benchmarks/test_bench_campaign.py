"""Whole fuzzing campaigns: examples per second, and peak memory of a long one.

A campaign draws, computes the truth, checks the engine (with state checks),
and shrinks every new defect, so an engine with defects (micrograd) costs
more per example than one without (the reference engine).
"""

from __future__ import annotations

import tracemalloc
from typing import Any

import pytest

from oracle._campaign import CampaignResult, fuzz

EXAMPLES = 200
MEMORY_EXAMPLES = 1000
SPECS = {"reference": "reference", "micrograd": "micrograd.engine:Value"}


def run_campaign(spec: str, examples: int) -> CampaignResult:
    return fuzz([spec], max_examples=examples, seed=0)


@pytest.mark.parametrize("engine", list(SPECS))
def test_campaign(benchmark: Any, engine: str) -> None:
    benchmark.group = "campaign"
    result = benchmark.pedantic(run_campaign, args=(SPECS[engine], EXAMPLES), rounds=3, iterations=1)
    summary = result.engines[0]
    if summary.load_error is not None:
        pytest.skip(f"{SPECS[engine]} did not load: {summary.load_error}")
    benchmark.extra_info["examples"] = summary.examples
    benchmark.extra_info["skipped"] = summary.skipped
    benchmark.extra_info["defects"] = [defect.signature.key for defect in result.defects]
    benchmark.extra_info["examples_per_second_median"] = summary.examples / benchmark.stats.stats.median


@pytest.mark.slow
def test_campaign_memory(benchmark: Any) -> None:
    """Peak traced memory of a 1,000-example campaign on the reference engine.

    tracemalloc slows allocation-heavy code several times over, so this
    benchmark's time is not comparable with the others; only the peak counts.
    Marked slow (minutes): deselect it with ``-m "not slow"``.
    """
    benchmark.group = "campaign memory"

    def traced_campaign() -> tuple[CampaignResult, int]:
        tracemalloc.start()
        try:
            result = run_campaign("reference", MEMORY_EXAMPLES)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        return result, peak

    result, peak = benchmark.pedantic(traced_campaign, rounds=1, iterations=1)
    benchmark.extra_info["examples"] = result.engines[0].examples
    benchmark.extra_info["peak_traced_bytes"] = peak
    benchmark.extra_info["peak_traced_mib"] = round(peak / 2**20, 2)
