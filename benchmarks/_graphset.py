"""The fixed graph sets every benchmark measures, drawn once per session.

Each set contains ``SET_SIZE`` distinct graphs of exactly ``nodes`` nodes with
their points, drawn by ``strategies.examples`` under a fixed Hypothesis
seed, so two runs on the same checkout measure the same graphs.  A change
to the strategies changes the sets, which is why the benchmarks page records
the commit it was measured on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Optional, Sequence

from hypothesis import HealthCheck, Phase, given, seed, settings

from oracle._graph import Graph, point_to_json
from oracle._parse import parse_expression
from strategies import examples

#: Graph sizes (node counts) drawn for every set.
SIZES = (4, 8, 16)
#: Distinct graphs per size.
SET_SIZE = 10
#: Hypothesis seed of every draw; the size is added so sets differ.
SEED = 20240
#: Examples drawn at most per set.  Hypothesis repeats and mutates earlier
#: examples, so distinct graphs arrive at well under one per example.
MAX_DRAWS = 8 * SET_SIZE

#: The worked example of micrograd's README: value -8, gradient a=6, b=-4, c=-2, f=4.
WORKED_EXPRESSION = "(a*b + c)*f"
WORKED_POINT = {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}

Example = tuple[Graph, dict[str, float]]


@dataclass(frozen=True)
class GraphSet:
    """A named, fixed list of (graph, point) examples."""

    name: str
    examples: tuple[Example, ...]

    def __len__(self) -> int:
        return len(self.examples)

    @property
    def digest(self) -> str:
        """A short SHA-256 of the graphs and points, to tell whether two runs measured the same set."""
        text = json.dumps([[graph.to_json(), point_to_json(point)] for graph, point in self.examples], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


class _Enough(Exception):
    """Raised inside the Hypothesis test once the set is full, to stop drawing."""


def draw_set(nodes: int, ops: Optional[Sequence[str]] = None) -> tuple[Example, ...]:
    """Draw ``SET_SIZE`` distinct examples of exactly ``nodes`` nodes from ``ops``.

    Raises ``RuntimeError`` when ``MAX_DRAWS`` examples give fewer distinct graphs.
    """
    found: dict[str, Example] = {}

    @seed(SEED + nodes)
    @settings(
        max_examples=MAX_DRAWS,
        database=None,
        deadline=None,
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(examples(ops=ops, min_nodes=nodes, max_nodes=nodes))
    def collect(example: Example) -> None:
        graph, point = example
        found.setdefault(f"{graph.expression()} at {point}", example)
        if len(found) >= SET_SIZE:
            raise _Enough

    try:
        collect()
    except _Enough:
        pass
    if len(found) < SET_SIZE:
        raise RuntimeError(
            f"only {len(found)} distinct {nodes}-node examples in {MAX_DRAWS} draws; raise MAX_DRAWS"
        )
    return tuple(found.values())


def worked_set() -> GraphSet:
    """Return the one-graph set of the worked example."""
    return GraphSet("worked", ((parse_expression(WORKED_EXPRESSION), dict(WORKED_POINT)),))


def all_op_sets() -> list[GraphSet]:
    """Return the worked example and one set per size drawn from every op."""
    return [worked_set()] + [GraphSet(f"all-ops n={nodes}", draw_set(nodes)) for nodes in SIZES]


def restricted_sets(label: str, ops: Sequence[str]) -> list[GraphSet]:
    """Return one set per size drawn from ``ops`` only, named ``"{label} n={size}"``."""
    return [GraphSet(f"{label} n={nodes}", draw_set(nodes, sorted(ops))) for nodes in SIZES]


def label(benchmark: Any, graph_set: GraphSet, measure: str) -> None:
    """Put ``benchmark`` in the group of ``graph_set`` and record what it measures.

    Every benchmark that takes a graph set times one pass over the whole set,
    so ``extra_info["graphs"]`` lets ``summarize.py`` turn round times into
    times per graph.  Benchmarks of one set share a group, which puts them
    side by side in pytest-benchmark's table.
    """
    benchmark.group = graph_set.name
    benchmark.extra_info["measure"] = measure
    benchmark.extra_info["graphs"] = len(graph_set)
    benchmark.extra_info["graph_set_digest"] = graph_set.digest
