"""Checks of state that a micrograd-style engine keeps across backward calls.

Two checks, each comparing leaf gradients with a relative tolerance of 1e-9
(both sides are float64 sums of the same terms):

* backward twice: build once, call backward twice.  Reset semantics leave the
  gradients equal to the first call's; accumulate semantics double them.
  karpathy/micrograd#53 is the classic failure: micrograd resets only the
  output's gradient, so interior nodes feed stale gradients to the leaves
  (``c = a + b; e = c*d`` at a=3, b=2, d=1 gives 3, 3, 10 instead of 1, 1, 5
  or 2, 2, 10).
* reuse after backward: build and backward, then build a second output on
  an interior node of the first graph and backward on it.  The leaf
  gradients must equal a fresh build of the combined expression (reset), or
  the first gradients plus that (accumulate).
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Optional

from oracle._graph import Graph, Node, Point

from ._value_api import ValueApi
from ._value_run import PhaseError, build_graph, execute, read_gradients

__all__ = ["check_state", "BACKWARD_TWICE", "REUSE_AFTER_BACKWARD"]

BACKWARD_TWICE = "backward twice"
REUSE_AFTER_BACKWARD = "reuse after backward"
_REL_TOL = 1e-9

Gradients = dict[str, Optional[float]]


def _same(a: Optional[float], b: Optional[float]) -> bool:
    if a is None or b is None:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=_REL_TOL, abs_tol=0.0)


def _matches(got: Gradients, expected: Gradients) -> bool:
    return all(_same(got.get(name), value) for name, value in expected.items())


def _format(gradients: Gradients) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in gradients.items())


def _combine(first: Gradients, second: Gradients) -> Gradients:
    combined: Gradients = {}
    for name, value in second.items():
        before = first.get(name)
        combined[name] = None if value is None or before is None else before + value
    return combined


def _verdict(check: str, semantics: str, got: Gradients, reset: Gradients, accumulate: Gradients, what: str) -> list[tuple[str, str]]:
    allowed = {"reset": [reset], "accumulate": [accumulate], "either": [reset, accumulate]}[semantics]
    if any(_matches(got, expected) for expected in allowed):
        return []
    expectations = []
    if semantics in ("reset", "either"):
        expectations.append(f"{_format(reset)} (reset)")
    if semantics in ("accumulate", "either"):
        expectations.append(f"{_format(accumulate)} (accumulate)")
    return [(check, f"{what} the leaf gradients are {_format(got)}; expected {' or '.join(expectations)}")]


def _describe(error: Exception) -> str:
    if isinstance(error, PhaseError):
        return str(error.failure)
    return f"{type(error).__name__}: {error}"


def _second_op(api: ValueApi) -> Optional[str]:
    for name in ("mul", "add", "sub"):
        if name in api.ops:
            return name
    return None


def _backward_twice(api: ValueApi, graph: Graph, point: Point) -> list[tuple[str, str]]:
    leaves: dict[str, Any] = {}
    nodes: list[Any] = []
    try:
        build_graph(api, graph, point, leaves, nodes)
        api.run_backward(nodes[graph.output])
        first = read_gradients(api, leaves)
    except Exception:
        return []  # a plain run reports this failure
    try:
        api.run_backward(nodes[graph.output])
        second = read_gradients(api, leaves)
    except Exception as error:
        return [(BACKWARD_TWICE, f"the second backward failed: {_describe(error)}")]
    doubled = {name: None if value is None else 2 * value for name, value in first.items()}
    return _verdict(BACKWARD_TWICE, api.backward_twice, second, first, doubled, "after a second backward")


def _reuse_after_backward(api: ValueApi, graph: Graph, point: Point) -> list[tuple[str, str]]:
    op_name = _second_op(api)
    if op_name is None:
        return []
    reused = graph.output - 1 if graph.output > 0 else graph.output
    combined = Graph(graph.inputs, graph.nodes + (Node(op_name, (reused, reused)),))
    fresh = execute(api, combined, point).result
    if fresh.failure is not None:
        return []
    reached = _inputs_reached(graph, reused)
    leaves: dict[str, Any] = {}
    nodes: list[Any] = []
    try:
        build_graph(api, graph, point, leaves, nodes)
        api.run_backward(nodes[graph.output])
        first = read_gradients(api, leaves)
    except Exception:
        return []
    label = graph.node_label(reused)
    try:
        second_output = api.apply(op_name, [nodes[reused], nodes[reused]])
        api.run_backward(second_output)
        after = read_gradients(api, leaves)
    except Exception as error:
        return [(REUSE_AFTER_BACKWARD, f"backward on {op_name}({label}, {label}) failed: {_describe(error)}")]
    reset = {name: fresh.gradient.get(name) for name in reached}
    got = {name: after.get(name) for name in reached}
    accumulate = _combine(first, reset)
    what = f"after backward on {op_name}({label}, {label}), which reuses a node of the first graph,"
    return _verdict(REUSE_AFTER_BACKWARD, api.backward_twice, got, reset, accumulate, what)


def _inputs_reached(graph: Graph, index: int) -> list[str]:
    live = [False] * len(graph.nodes)
    live[index] = True
    names: set[str] = set()
    for position in range(index, -1, -1):
        if not live[position]:
            continue
        for arg in graph.nodes[position].args:
            if isinstance(arg, int):
                live[arg] = True
            elif isinstance(arg, str):
                names.add(arg)
    return [name for name in graph.inputs if name in names]


def check_state(api: ValueApi, graph: Graph, point: Point) -> list[tuple[str, str]]:
    """Run both state checks and return findings as (check name, message)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _backward_twice(api, graph, point) + _reuse_after_backward(api, graph, point)
