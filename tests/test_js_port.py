"""The JavaScript micrograd port in examples/js-port, run as a process engine."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from engines._process import ProcessEngine
from engines.reference import ReferenceEngine
from oracle import OP_NAMES, EngineLoadError, parse_expression

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not on PATH; the JavaScript port needs Node.js")

DRIVER = Path(__file__).resolve().parent.parent / "examples" / "js-port" / "driver.js"

# Expressions over a and b; together they use every op, every reflected form
# (a constant on the left) and shared nodes.
EXPRESSIONS = [
    "(a*b + c)*f",
    "a + b", "a - b", "a * b", "a / b", "-a",
    "2 + a", "2 - a", "2 * a", "2 / a",
    "a ** 3", "a ** -2", "a ** 0.5", "2 ** a", "0.5 ** a", "a ** b",
    "exp(a)", "log(a)", "tanh(a)", "sigmoid(a)", "relu(a)", "relu(-a)",
    "sin(a)", "cos(a)", "sqrt(a)", "abs(a)", "abs(-a)",
    "max(a, b)", "min(a, b)", "max(3, a)", "min(a, 0.25)", "max(a, a)",
    "a*a + a", "t = a*b; t*t + t", "t = tanh(a*b); t*t - sin(t)",
    "log(a - a)", "1 / (a - a)", "sqrt(-a*a - 1)", "exp(a*1000)",
    "relu(a - a) + abs(b - b)", "sigmoid(a*50) * tanh(b/3)",
]

POINTS = [
    {"a": 0.7, "b": 1.3, "c": 10.0, "f": -2.0},
    {"a": -1.1, "b": 0.4, "c": -3.5, "f": 0.25},
    {"a": 0.5, "b": 0.5, "c": 1.0, "f": 3.0},  # ties for max and min
]


def point_for(graph, point):
    return {name: point[name] for name in graph.inputs}


def agree(x: float | None, y: float | None) -> bool:
    """Relative agreement within 1e-12, or both non-finite."""
    if x is None or y is None:
        return x is y
    if not (math.isfinite(x) and math.isfinite(y)):
        return not math.isfinite(x) and not math.isfinite(y)
    return abs(x - y) <= 1e-12 * max(abs(x), abs(y))


def differences(result, expected) -> list[str]:
    """Return the fields where the port's result and the reference's disagree."""
    found = []
    if result.failure is not None:
        return [f"failure: {result.failure}"]
    if not agree(result.value, expected.value):
        found.append(f"value {result.value!r} != {expected.value!r}")
    for name, grad in expected.gradient.items():
        if not agree(result.gradient.get(name), grad):
            found.append(f"d/d{name} {result.gradient.get(name)!r} != {grad!r}")
    for field in ("node_values", "node_adjoints"):
        ours, theirs = getattr(result, field), getattr(expected, field)
        for index, (x, y) in enumerate(zip(ours, theirs)):
            if not agree(x, y):
                found.append(f"{field}[{index}] {x!r} != {y!r}")
    return found


def port(fault: str | None = None) -> ProcessEngine:
    env = dict(os.environ)
    env.pop("GRADORACLE_JS_FAULT", None)
    if fault is not None:
        env["GRADORACLE_JS_FAULT"] = fault
    return ProcessEngine([NODE, str(DRIVER)], env=env)


def disagreements(engine: ProcessEngine) -> dict[str, list[str]]:
    """Run the whole table and return the expressions whose results differ."""
    reference = ReferenceEngine()
    found = {}
    for text in EXPRESSIONS:
        graph = parse_expression(text)
        for point in POINTS:
            values = point_for(graph, point)
            problems = differences(engine.run(graph, values), reference.run(graph, values))
            if problems:
                found.setdefault(text, []).extend(problems)
    return found


def test_table_covers_every_op():
    used = set()
    for text in EXPRESSIONS:
        used |= parse_expression(text).ops_used()
    assert used == set(OP_NAMES)


def test_handshake():
    with port() as engine:
        assert engine.name == "js-port"
        assert engine.supported_ops == frozenset(OP_NAMES)
        assert engine.dtype == "float64"
        assert engine.node_adjoints is True


def test_port_agrees_with_reference():
    with port() as engine:
        assert disagreements(engine) == {}


def test_worked_example():
    graph = parse_expression("(a*b + c)*f")
    with port() as engine:
        result = engine.run(graph, {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0})
    assert result.value == -8.0
    assert result.gradient == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0}
    assert result.node_adjoints == [-2.0, -2.0, 1.0]


def test_extreme_values_round_trip():
    # Exact transport both ways: subnormals, the largest double, -0.0.
    graph = parse_expression("a*b")
    cases = [(5e-324, 1.0), (1.7976931348623157e308, 1.0), (-0.0, 1.0), (0.1, 3.0)]
    with port() as engine:
        for a, b in cases:
            result = engine.run(graph, {"a": a, "b": b})
            assert result.value == a * b
            assert math.copysign(1.0, result.value) == math.copysign(1.0, a * b)
            assert result.gradient == {"a": b, "b": a}


def test_deep_graph_agrees():
    # 5000 levels: a recursive topological sort overflows the default Node 20 stack here.
    lines = ["t0 = sin(x)"] + [f"t{i} = tanh(t{i - 1}) + x*0.001" for i in range(1, 5000)]
    graph = parse_expression("; ".join(lines))
    with port() as engine:
        result = engine.run(graph, {"x": 0.3})
    expected = ReferenceEngine().run(graph, {"x": 0.3})
    assert differences(result, expected) == []


def test_driver_replies_build_error():
    # ProcessEngine only sends valid graphs, so talk to the driver directly.
    request = {
        "id": 1,
        "graph": {"format": "gradoracle.graph/1", "inputs": ["a"], "nodes": [{"op": "cube", "args": ["a"]}]},
        "point": {"a": {"decimal": "2.0", "hex": "0x1.0000000000000p+1"}},
    }
    completed = subprocess.run(
        [NODE, str(DRIVER)], input=json.dumps(request) + "\n", capture_output=True, text=True, timeout=30
    )
    assert completed.returncode == 0, completed.stderr
    handshake, reply = [json.loads(line) for line in completed.stdout.splitlines()]
    assert handshake["protocol"] == "gradoracle.engine/1"
    assert reply["id"] == 1
    assert reply["error"]["phase"] == "build"
    assert "cube" in reply["error"]["message"]


def test_unknown_fault_rejected():
    with pytest.raises(EngineLoadError, match="is not a known fault"):
        port("off-by-one")


@pytest.mark.parametrize(
    "fault, expected",
    [
        ("overwrite-grad", "a*a + a"),
        ("tanh-derivative", "tanh(a)"),
        ("rsub", "2 - a"),
    ],
)
def test_injected_fault_is_detected(fault, expected):
    with port(fault) as engine:
        assert engine.version.endswith(f"+fault.{fault}")
        found = disagreements(engine)
    assert expected in found
