"""Draw cost of ``strategies.examples``: examples per second through a Hypothesis run.

Each round runs one seeded ``@given`` test that does nothing with its
examples, so the time is Hypothesis's own bookkeeping plus the strategy's
draws, which is what a campaign pays before it checks anything.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings

from _graphset import SEED
from strategies import examples

DRAWS = 50


def draw_examples(strategy: Any, count: int) -> int:
    drawn = [0]

    @seed(SEED)
    @settings(max_examples=count, database=None, deadline=None, phases=(Phase.generate,),
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def consume(example: Any) -> None:
        drawn[0] += 1

    consume()
    return drawn[0]


@pytest.mark.parametrize(
    ("min_nodes", "max_nodes"),
    [(4, 4), (8, 8), (16, 16), (1, 8)],
    ids=["exactly-4", "exactly-8", "exactly-16", "campaign-default-1-to-8"],
)
def test_generation(benchmark: Any, min_nodes: int, max_nodes: int) -> None:
    benchmark.group = "generation"
    strategy = examples(min_nodes=min_nodes, max_nodes=max_nodes)
    drawn = benchmark.pedantic(draw_examples, args=(strategy, DRAWS), rounds=3, iterations=1)
    benchmark.extra_info["examples"] = drawn
    benchmark.extra_info["examples_per_second_median"] = drawn / benchmark.stats.stats.median
