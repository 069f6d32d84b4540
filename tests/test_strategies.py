"""Tests of the Hypothesis strategies: reachability, shrinking, domains, arguments."""

from __future__ import annotations

import math
from typing import Any, Callable, Optional

import mpmath
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

import strategies
from oracle._errors import InvalidArgument
from oracle._graph import Const, Graph
from oracle._ops import BINARY_OPS, OP_NAMES, OPS
from oracle._parse import parse_expression
from strategies import examples, expressions, graphs, points

FIND_LIMIT = 3000


def find_any(strategy: st.SearchStrategy[Any], condition: Callable[[Any], bool], limit: int = FIND_LIMIT) -> Any:
    """Return the first drawn value that meets ``condition``, without shrinking."""
    return find(
        strategy,
        condition,
        settings=settings(
            max_examples=limit,
            phases=[Phase.generate],
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )


def minimal(strategy: st.SearchStrategy[Any], condition: Callable[[Any], bool]) -> Any:
    """Return the shrunk value that meets ``condition``."""
    return find(
        strategy,
        condition,
        settings=settings(max_examples=FIND_LIMIT, database=None, suppress_health_check=list(HealthCheck)),
    )


def draw_once(strategy: st.SearchStrategy[Any]) -> Any:
    return find_any(strategy, lambda _: True, limit=1)


# --- helpers over graphs ------------------------------------------------------


def new_context() -> Any:
    ctx = mpmath.MPContext()
    ctx.prec = 200
    return ctx


def exact_values(ctx: Any, graph: Graph, point: dict[str, float]) -> list[Any]:
    """Return each node's value computed at 200 bits, checking domains on the way."""
    values: list[Any] = []
    for index, node in enumerate(graph.nodes):
        args = [operand_value(ctx, arg, point, values) for arg in node.args]
        reason = OPS[node.op].domain(ctx, *args)
        assert reason is None, f"node {index} ({node.op}) of {graph}: {reason} at {point}"
        values.append(OPS[node.op].forward(ctx, *args))
    return values


def operand_value(ctx: Any, arg: Any, point: dict[str, float], values: list[Any]) -> Any:
    if isinstance(arg, Const):
        return ctx.mpf(arg.value)
    if isinstance(arg, str):
        return ctx.mpf(point[arg])
    return values[arg]


def node_operand_values(graph: Graph, point: dict[str, float]) -> list[tuple[str, list[Any]]]:
    """Return (op, exact operand values) for every node."""
    ctx = new_context()
    values = exact_values(ctx, graph, point)
    return [(node.op, [operand_value(ctx, arg, point, values) for arg in node.args]) for node in graph.nodes]


def has_op_with(example: tuple[Graph, dict[str, float]], op: str, test: Callable[[list[Any]], bool]) -> bool:
    graph, point = example
    if op not in graph.ops_used():
        return False
    return any(name == op and test(args) for name, args in node_operand_values(graph, point))


def depth(graph: Graph) -> int:
    """Return the number of ops on the longest path to the output."""
    levels: list[int] = []
    for node in graph.nodes:
        levels.append(1 + max((levels[arg] for arg in node.args if isinstance(arg, int)), default=0))
    return levels[-1]


def ancestors(graph: Graph) -> list[set[int]]:
    result: list[set[int]] = []
    for index, node in enumerate(graph.nodes):
        seen = {index}
        for arg in node.args:
            if isinstance(arg, int):
                seen |= result[arg]
        result.append(seen)
    return result


def has_same_operand_twice(graph: Graph) -> bool:
    return any(len(node.args) == 2 and node.args[0] == node.args[1] for node in graph.nodes)


def has_diamond(graph: Graph) -> bool:
    """True when some node reaches one earlier node along two different paths."""
    sets = ancestors(graph)
    for node in graph.nodes:
        left, right = node.args[0], node.args[-1]
        if isinstance(left, int) and isinstance(right, int) and left != right:
            if sets[left] & sets[right]:
                return True
    return False


def constant_sides(graph: Graph, op: str) -> set[str]:
    sides = set()
    for node in graph.nodes:
        if node.op == op:
            if isinstance(node.args[0], Const):
                sides.add("left")
            if isinstance(node.args[-1], Const):
                sides.add("right")
    return sides


# --- public names ---------------------------------------------------------------


def test_all_lists_public_names() -> None:
    public = {name for name in vars(strategies) if not name.startswith("_")}
    public = {name for name in public if not isinstance(getattr(strategies, name), type(strategies))}
    assert set(strategies.__all__) == public
    assert sorted(strategies.__all__) == ["examples", "expressions", "graphs", "points"]


# --- graphs: reachability ----------------------------------------------------------


@pytest.mark.parametrize("op", OP_NAMES)
def test_graphs_reach_each_op(op: str) -> None:
    graph = find_any(graphs(), lambda g: op in g.ops_used())
    assert op in graph.ops_used()


@pytest.mark.parametrize("op", OP_NAMES)
def test_examples_reach_each_op(op: str) -> None:
    graph, _ = find_any(examples(), lambda example: op in example[0].ops_used())
    assert op in graph.ops_used()


def _constant_cases() -> list[tuple[str, str]]:
    cases = []
    for op in BINARY_OPS:
        constant = OPS[op].constant
        if op == "powv":
            continue
        if constant in (None, "left"):
            cases.append((op, "left"))
        if constant in (None, "right"):
            cases.append((op, "right"))
    return cases


@pytest.mark.parametrize("op,side", _constant_cases())
def test_graphs_reach_constant_side(op: str, side: str) -> None:
    graph = find_any(graphs(ops=[op, "tanh"]), lambda g: side in constant_sides(g, op))
    assert side in constant_sides(graph, op)


@pytest.mark.parametrize("value", [0.0, 1.0, -1.0, 2.0, 0.5, -2.0, 3.0])
def test_graphs_reach_special_constant(value: float) -> None:
    def uses_constant(graph: Graph) -> bool:
        return any(arg == Const(value) for node in graph.nodes for arg in node.args if node.op in ("sub", "div"))

    assert uses_constant(find_any(graphs(ops=["sub", "div"]), uses_constant))


@pytest.mark.parametrize("exponent", [0.0, 1.0, 2.0, 3.0, -1.0, -2.0, 0.5, 1.5, -0.5, 2.5])
def test_graphs_reach_pow_exponent(exponent: float) -> None:
    def uses_exponent(graph: Graph) -> bool:
        return any(node.op == "pow" and node.args[1] == Const(exponent) for node in graph.nodes)

    assert uses_exponent(find_any(graphs(ops=["pow"]), uses_exponent))


def test_graphs_reach_non_special_exponent() -> None:
    def odd_exponent(graph: Graph) -> bool:
        return any(node.op == "pow" and not (2 * node.args[1].value).is_integer() for node in graph.nodes)

    assert odd_exponent(find_any(graphs(ops=["pow"]), odd_exponent))


@pytest.mark.parametrize("base", [0.5, 2.0, math.e, 10.0])
def test_graphs_reach_rpow_base(base: float) -> None:
    def uses_base(graph: Graph) -> bool:
        return any(node.op == "rpow" and node.args[0] == Const(base) for node in graph.nodes)

    assert uses_base(find_any(graphs(ops=["rpow"]), uses_base))


@settings(max_examples=100)
@given(graphs(ops=["rpow", "add"]))
def test_graphs_rpow_bases_positive(graph: Graph) -> None:
    for node in graph.nodes:
        if node.op == "rpow":
            assert node.args[0].value > 0


def test_graphs_reach_node_used_three_times() -> None:
    graph = find_any(graphs(), lambda g: any(g.uses(i) >= 3 for i in range(len(g.nodes))))
    assert max(graph.uses(i) for i in range(len(graph.nodes))) >= 3


def test_graphs_reach_same_node_twice() -> None:
    def squares_a_node(graph: Graph) -> bool:
        return any(isinstance(node.args[0], int) and node.args == (node.args[0],) * 2 for node in graph.nodes)

    assert squares_a_node(find_any(graphs(), squares_a_node))


def test_graphs_reach_diamond() -> None:
    assert has_diamond(find_any(graphs(), has_diamond))


def test_shared_structure_is_common() -> None:
    counts = {"shared": 0, "same": 0, "diamond": 0}
    drawn: list[Graph] = []

    @settings(max_examples=200, database=None)
    @given(graphs())
    def record(graph: Graph) -> None:
        drawn.append(graph)

    record()
    # Hypothesis draws many one-node graphs, which cannot share anything, so
    # the shares are taken over graphs with at least three nodes.
    larger = [graph for graph in drawn if len(graph.nodes) >= 3]
    for graph in larger:
        counts["shared"] += any(graph.uses(i) >= 2 for i in range(len(graph.nodes)))
        counts["same"] += has_same_operand_twice(graph)
        counts["diamond"] += has_diamond(graph)
    assert len(larger) >= len(drawn) // 4
    assert counts["shared"] >= len(larger) // 3
    assert counts["same"] >= len(larger) // 4
    assert counts["diamond"] >= len(larger) // 10


# The deep tests map each graph to its depth because Hypothesis warns when
# it prints a value whose repr is over 30 kB, and a 1,000-node Graph is.


def test_graphs_reach_depth_over_1000() -> None:
    levels = find_any(graphs(deep=True, max_depth=1500).map(depth), lambda d: d > 1000, limit=200)
    assert levels > 1000


def test_examples_reach_depth_over_1000() -> None:
    deep_examples = examples(deep=True, max_depth=1500, ops=["add", "tanh", "sin", "mul"])
    levels = find_any(deep_examples.map(lambda gp: depth(gp[0])), lambda d: d > 1000, limit=200)
    assert levels > 1000


# --- graphs: properties -------------------------------------------------------------


@settings(max_examples=100)
@given(graphs(ops=["tanh", "mul"]))
def test_graphs_ops_restrict_generation(graph: Graph) -> None:
    assert graph.ops_used() <= {"tanh", "mul"}


@settings(max_examples=100)
@given(examples(ops=["log", "sub"]))
def test_examples_ops_restrict_generation(example: tuple[Graph, dict[str, float]]) -> None:
    assert example[0].ops_used() <= {"log", "sub"}


@settings(max_examples=100)
@given(st.data(), st.integers(1, 6), st.integers(0, 6))
def test_graphs_node_bounds_hold(data: st.DataObject, low: int, extra: int) -> None:
    graph = data.draw(graphs(min_nodes=low, max_nodes=low + extra))
    assert low <= len(graph.nodes) <= low + extra


@settings(max_examples=50)
@given(st.data(), st.integers(1, 5), st.integers(0, 4))
def test_examples_node_bounds_hold(data: st.DataObject, low: int, extra: int) -> None:
    graph, _ = data.draw(examples(min_nodes=low, max_nodes=low + extra))
    assert low <= len(graph.nodes) <= low + extra


@settings(max_examples=100)
@given(graphs(max_inputs=2))
def test_graphs_are_pruned(graph: Graph) -> None:
    assert graph.pruned() is graph
    assert set(graph.inputs) <= {"x", "y"}
    assert all(uses > 0 for uses in graph.input_uses().values())


@settings(max_examples=100)
@given(expressions())
def test_expressions_parse_back(text: str) -> None:
    assert parse_expression(text).expression() == text


# --- points ---------------------------------------------------------------------------

TWO_INPUTS = parse_expression("x*y + y")


@pytest.mark.parametrize(
    "value",
    [0.0, 1.0, -1.0, 2.0, -2.0, 0.5, 20.0, -40.0, 355.0, -400.0, 710.0, -800.0, 1e-300, 5e-324, 1e-8],
)
def test_points_reach_special_value(value: float) -> None:
    point = find_any(points(TWO_INPUTS), lambda p: p["x"] == value)
    assert point["x"] == value


def test_points_reach_negative_zero() -> None:
    point = find_any(points(TWO_INPUTS), lambda p: p["x"] == 0 and math.copysign(1.0, p["x"]) < 0)
    assert math.copysign(1.0, point["x"]) == -1.0


def test_points_reach_hundreds() -> None:
    point = find_any(points(TWO_INPUTS), lambda p: 100 < abs(p["x"]) < 1000 and not p["x"].is_integer())
    assert 100 < abs(point["x"]) < 1000


def test_points_reach_ties() -> None:
    point = find_any(points(TWO_INPUTS), lambda p: p["x"] == p["y"] and p["x"] not in (0.0, 1.0))
    assert point["x"] == point["y"]


def test_points_reach_adjacent_values() -> None:
    def adjacent(point: dict[str, float]) -> bool:
        return point["y"] == math.nextafter(point["x"], math.inf) and point["x"] != 0

    assert adjacent(find_any(points(TWO_INPUTS), adjacent))


@settings(max_examples=100)
@given(points(TWO_INPUTS, min_value=-3.0, max_value=150.0))
def test_points_respect_bounds(point: dict[str, float]) -> None:
    assert list(point) == ["x", "y"]
    for value in point.values():
        assert -3.0 <= value <= 150.0


@settings(max_examples=100)
@given(points(TWO_INPUTS, special=False))
def test_points_are_finite(point: dict[str, float]) -> None:
    assert all(math.isfinite(value) for value in point.values())


def test_points_shrink_to_zero() -> None:
    point = minimal(points(TWO_INPUTS), lambda _: True)
    assert point == {"x": 0.0, "y": 0.0}


# --- examples: domains and special points ------------------------------------------


@settings(max_examples=150, deadline=None)
@given(examples())
def test_examples_stay_in_domain(example: tuple[Graph, dict[str, float]]) -> None:
    graph, point = example
    assert list(point) == list(graph.inputs)
    assert all(math.isfinite(value) for value in point.values())
    exact_values(new_context(), graph, point)  # asserts every domain


@settings(max_examples=20, deadline=None)
@given(examples(deep=True, max_depth=300))
def test_deep_examples_stay_in_domain(example: tuple[Graph, dict[str, float]]) -> None:
    graph, point = example
    exact_values(new_context(), graph, point)


@settings(max_examples=100, deadline=None)
@given(examples(ops=["log", "sqrt", "div", "pow", "powv"]))
def test_domain_ops_alone_stay_in_domain(example: tuple[Graph, dict[str, float]]) -> None:
    graph, point = example
    exact_values(new_context(), graph, point)


KINKS: dict[str, tuple[str, Callable[[list[Any]], bool]]] = {
    "relu at 0": ("relu", lambda args: args[0] == 0),
    "abs at 0": ("abs", lambda args: args[0] == 0),
    "max tie": ("max", lambda args: args[0] == args[1]),
    "min tie": ("min", lambda args: args[0] == args[1]),
    "sqrt of 0": ("sqrt", lambda args: args[0] == 0),
    "log of 1": ("log", lambda args: args[0] == 1),
    "pow base 0": ("pow", lambda args: args[0] == 0 and args[1] > 0),
    "rpow base 0": ("rpow", lambda args: args[0] == 0),
    "exp overflow": ("exp", lambda args: args[0] > 710),
    "exp underflow": ("exp", lambda args: args[0] < -745),
    "tanh saturated": ("tanh", lambda args: abs(args[0]) >= 20),
    "div by tiny": ("div", lambda args: 0 < abs(args[1]) < 1e-299),
}


@pytest.mark.parametrize("case", sorted(KINKS))
def test_examples_reach_edge(case: str) -> None:
    op, test = KINKS[case]
    example = find_any(examples(ops=[op, "sub", "mul"]), lambda gp: has_op_with(gp, op, test))
    assert has_op_with(example, op, test)


def test_examples_reach_inputs_in_hundreds() -> None:
    example = find_any(examples(), lambda gp: any(100 < abs(v) < 1000 for v in gp[1].values()))
    assert any(100 < abs(v) < 1000 for v in example[1].values())


def test_examples_reach_tiny_inputs() -> None:
    example = find_any(examples(), lambda gp: any(0 < abs(v) < 1e-299 for v in gp[1].values()))
    assert any(0 < abs(v) < 1e-299 for v in example[1].values())


# --- shrinking -------------------------------------------------------------------------


def test_minimal_graph_with_tanh_is_one_node() -> None:
    graph = minimal(graphs(), lambda g: "tanh" in g.ops_used())
    assert graph.expression() == "tanh(x)"


def test_minimal_square_is_one_node() -> None:
    graph, point = minimal(examples(), lambda gp: has_same_operand_twice(gp[0]))
    assert len(graph.nodes) == 1
    assert graph.nodes[0].args == ("x", "x")
    assert point["x"] in (0.0, 1.0)


def test_minimal_log_example() -> None:
    # Usually log(x) at x = 1; the shrinker sometimes stops at log(exp(x))
    # at x = 0, where an earlier dead node had given x a non-positive value.
    graph, point = minimal(examples(), lambda gp: "log" in gp[0].ops_used())
    assert len(graph.nodes) <= 2
    assert graph.nodes[-1].op == "log"
    assert all(value in (0.0, 1.0) for value in point.values())


def test_minimal_graph_with_three_nodes() -> None:
    graph = minimal(graphs(), lambda g: len(g.nodes) >= 3)
    assert len(graph.nodes) == 3


# --- bad arguments -------------------------------------------------------------------------

BAD_ARGUMENTS: list[tuple[Callable[[], st.SearchStrategy[Any]], str]] = [
    (lambda: graphs(ops=["tahn"]), "did you mean 'tanh'"),
    (lambda: graphs(ops="tanh"), "ops='tanh'"),
    (lambda: graphs(ops=[]), "ops=[]"),
    (lambda: graphs(min_nodes=0), "min_nodes=0"),
    (lambda: graphs(max_nodes=2.5), "max_nodes=2.5"),
    (lambda: graphs(min_nodes=5, max_nodes=2), "min_nodes=5"),
    (lambda: graphs(max_inputs=0), "max_inputs=0"),
    (lambda: graphs(max_depth=10), "max_depth=10"),
    (lambda: graphs(deep=True, max_depth=0), "max_depth=0"),
    (lambda: graphs(deep="yes"), "deep='yes'"),
    (lambda: points(None), "graph=None"),
    (lambda: points(TWO_INPUTS, min_value=2.0, max_value=1.0), "min_value=2.0"),
    (lambda: points(TWO_INPUTS, max_value=math.inf), "max_value=inf"),
    (lambda: points(TWO_INPUTS, special=1), "special=1"),
    (lambda: examples(ops=["lgo"]), "did you mean 'log'"),
    (lambda: examples(special="no"), "special='no'"),
    (lambda: expressions(max_nodes=0), "max_nodes=0"),
]


@pytest.mark.parametrize("make,fragment", BAD_ARGUMENTS, ids=[fragment for _, fragment in BAD_ARGUMENTS])
def test_bad_argument_raises(make: Callable[[], st.SearchStrategy[Any]], fragment: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        draw_once(make())
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)
