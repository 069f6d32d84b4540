"""The value-like adapter on real micrograd, on test doubles and on the zoo of clones."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Optional

import pytest

from engines import ReferenceEngine
from engines._spec import load_engine
from engines._value_like import ValueLikeEngine
from oracle import Const, EngineLoadError, Graph, Node, parse_expression
from tests.doubles import CORRECT, DOUBLES, AltValue, GoodValue
from tests.doubles.variants import Boxed, ForwardOnlyExp, NoNeg, Renamed, scalar

REFERENCE = ReferenceEngine()
MICROGRAD_OPS = {"add", "sub", "mul", "div", "neg", "pow", "relu"}
EXAMPLE = ("(a*b + c)*f", {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0})
ISSUE_53 = ("c = a + b; c*d", {"a": 3.0, "b": 2.0, "d": 1.0})

#: Graphs away from kinks and poles, on which every correct engine must agree with the reference.
SMOOTH_CASES = [
    EXAMPLE,
    ("t = a*b; t*t + 2 - a", {"a": 1.5, "b": -0.5}),
    ("a / b - 3 / a + a**3 + 2**b", {"a": 2.0, "b": 0.75}),
    ("tanh(a*b) + sigmoid(a - b) * exp(b)", {"a": 0.5, "b": 2.0}),
    ("log(a) * sqrt(b) + sin(a) - cos(b)", {"a": 1.7, "b": 3.2}),
    ("relu(a) + abs(b) + max(a, b) * min(a, 2)", {"a": 1.25, "b": -0.5}),
    ("t = -a; t**b + t*t", {"a": -1.5, "b": 1.25}),
    ("b = a + a; b + b", {"a": 1.0}),
    ("u = a*a; v = u + a; w = v*u; w + v", {"a": 0.3}),
]


def same(a: Optional[float], b: Optional[float]) -> bool:
    if a is None or b is None:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0)


def differs_from_reference(engine: Any, text: str, point: dict[str, float]) -> bool:
    graph = parse_expression(text)
    result = engine.run(graph, point)
    expected = REFERENCE.run(graph, point)
    if result.failure is not None:
        return True
    if not same(result.value, expected.value):
        return True
    return any(not same(result.gradient[name], expected.gradient[name]) for name in graph.inputs)


# --- real micrograd from PyPI ---------------------------------------------------


@pytest.fixture(scope="module")
def micrograd() -> Any:
    return load_engine("micrograd.engine:Value")


def test_micrograd_probe_finds_ops(micrograd: Any) -> None:
    assert micrograd.supported_ops == MICROGRAD_OPS
    for name in ("rpow", "powv", "tanh", "exp"):
        assert not micrograd.report.ops[name].supported, name
    assert micrograd.report.backward == "backward"
    assert micrograd.report.grad == ".grad"
    assert micrograd.version == "0.1.0"


def test_micrograd_run_example(micrograd: Any) -> None:
    text, point = EXAMPLE
    result = micrograd.run(parse_expression(text), point)
    assert result.failure is None
    assert result.value == -8.0
    assert result.gradient == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0}
    assert result.node_values == [-6.0, 4.0, -8.0]
    assert result.node_adjoints == [-2.0, -2.0, 1.0]
    assert all(type(value) is float for value in result.gradient.values())


def test_micrograd_backward_twice_finding(micrograd: Any) -> None:
    text, point = ISSUE_53
    findings = dict(micrograd.check_state(parse_expression(text), point))
    assert "a=3.0, b=3.0, d=10.0" in findings["backward twice"]
    assert "a=1.0, b=1.0, d=5.0 (reset)" in findings["backward twice"]
    assert "a=2.0, b=2.0, d=10.0 (accumulate)" in findings["backward twice"]
    assert "reuse after backward" in findings


def test_micrograd_unsupported_op_is_build_failure(micrograd: Any) -> None:
    result = micrograd.run(parse_expression("tanh(a)"), {"a": 0.5})
    assert result.failure is not None
    assert result.failure.phase == "build"
    assert result.value is None


# --- correct doubles ----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_double_supports_every_op(name: str) -> None:
    engine = ValueLikeEngine(CORRECT[name])
    assert engine.supported_ops == REFERENCE.supported_ops


@pytest.mark.parametrize("name", sorted(CORRECT))
@pytest.mark.parametrize("text, point", SMOOTH_CASES)
def test_correct_double_matches_reference(name: str, text: str, point: dict[str, float]) -> None:
    engine = ValueLikeEngine(CORRECT[name])
    graph = parse_expression(text)
    result = engine.run(graph, point)
    expected = REFERENCE.run(graph, point)
    assert result.failure is None
    assert same(result.value, expected.value)
    for index, (got, want) in enumerate(zip(result.node_adjoints or [], expected.node_adjoints or [])):
        assert math.isclose(got, want, rel_tol=1e-12), f"node {index}"
    for input_name in graph.inputs:
        assert math.isclose(result.gradient[input_name], expected.gradient[input_name], rel_tol=1e-12), input_name


@pytest.mark.parametrize("name", sorted(CORRECT))
@pytest.mark.parametrize("text, point", [ISSUE_53, *SMOOTH_CASES[:4]])
def test_correct_double_no_state_findings(name: str, text: str, point: dict[str, float]) -> None:
    engine = ValueLikeEngine(CORRECT[name])
    assert engine.check_state(parse_expression(text), point) == []


def test_state_semantics_from_mapping() -> None:
    graph = parse_expression(ISSUE_53[0])
    accumulate_as_reset = ValueLikeEngine(AltValue, mapping={"backward_twice": "reset"})
    reset_as_accumulate = ValueLikeEngine(GoodValue, mapping={"backward_twice": "accumulate"})
    alt_findings = dict(accumulate_as_reset.check_state(graph, ISSUE_53[1]))
    good_findings = dict(reset_as_accumulate.check_state(graph, ISSUE_53[1]))
    assert "a=2.0, b=2.0, d=10.0" in alt_findings["backward twice"]
    assert "a=1.0, b=1.0, d=5.0" in good_findings["backward twice"]


# --- broken doubles -------------------------------------------------------------


def test_enough_broken_doubles() -> None:
    assert len(DOUBLES) >= 20
    for name, cls in DOUBLES.items():
        assert cls.fault and "\n" not in cls.fault, name
        assert cls.__doc__, name
        assert cls.faulty_ops <= REFERENCE.supported_ops, name


@pytest.mark.parametrize("name", sorted(DOUBLES))
def test_broken_double_is_detected(name: str) -> None:
    cls = DOUBLES[name]
    text, point = cls.witness
    engine = ValueLikeEngine(cls)
    control = ValueLikeEngine(GoodValue)
    graph = parse_expression(text)
    # The witness must expose this fault, not a difference every engine shows.
    assert not differs_from_reference(control, text, point)
    assert control.check_state(graph, point) == []
    if cls.detected_by == "run":
        assert differs_from_reference(engine, text, point)
    else:
        assert not differs_from_reference(engine, text, point)
        assert engine.check_state(graph, point) != []


@pytest.mark.parametrize("name", sorted(name for name, cls in DOUBLES.items() if cls.faulty_ops))
def test_broken_double_op_still_supported(name: str) -> None:
    engine = ValueLikeEngine(DOUBLES[name])
    assert DOUBLES[name].faulty_ops <= engine.supported_ops


def test_duplicate_children_gives_eight() -> None:
    result = ValueLikeEngine(DOUBLES["DuplicateChildren"]).run(parse_expression("b = a + a; b + b"), {"a": 1.0})
    assert result.gradient == {"a": 8.0}


def test_recursion_error_is_backward_failure() -> None:
    cls = DOUBLES["RecursiveTopology"]
    result = ValueLikeEngine(cls).run(parse_expression(cls.witness[0]), cls.witness[1])
    assert result.failure is not None
    assert result.failure.phase == "backward"
    assert result.failure.error_type == "RecursionError"
    assert result.value == 12000.5


def test_overflow_is_forward_failure() -> None:
    result = ValueLikeEngine(DOUBLES["TanhOverflows"]).run(parse_expression("a*2 + tanh(a)"), {"a": 400.0})
    assert result.failure is not None
    assert result.failure.phase == "forward"
    assert result.failure.error_type == "OverflowError"
    assert result.node_values == [800.0, None, None]


# --- failures and conversions ------------------------------------------------------


class RejectsLarge(GoodValue):
    """Raises in the constructor for values above 100."""

    def __init__(self, data: float, parents: tuple = (), local: tuple = ()) -> None:
        if float(data) > 100:
            raise ValueError(f"value {data} is too large")
        super().__init__(data, parents, local)


class ComplexPower(GoodValue):
    """Keeps Python's complex result of a negative base to a fractional power."""

    def __init__(self, data: Any, parents: tuple = (), local: tuple = ()) -> None:
        super().__init__(0.0, parents, local)
        self.data = data

    def __pow__(self, other: Any) -> GoodValue:
        return self._node(self.data ** float(other), (self,), (1.0,))


class NoneGrad(GoodValue):
    """Leaves that backward does not reach keep ``grad = None``, as in PyTorch."""

    def __init__(self, data: float, parents: tuple = (), local: tuple = ()) -> None:
        super().__init__(data, parents, local)
        self.grad = None  # type: ignore[assignment]

    def _accumulate(self, contribution: float) -> None:
        self.grad = (self.grad or 0.0) + contribution


def test_constructor_error_is_build_failure() -> None:
    result = ValueLikeEngine(RejectsLarge).run(parse_expression("a + b"), {"a": 1.0, "b": 500.0})
    assert result.failure is not None
    assert result.failure.phase == "build"
    assert result.failure.error_type == "ValueError"
    assert "b=500.0" in result.failure.message


def test_complex_value_is_type_error() -> None:
    result = ValueLikeEngine(ComplexPower).run(parse_expression("a**0.5"), {"a": -1.5})
    assert result.failure is not None
    assert result.failure.phase == "forward"
    assert result.failure.error_type == "TypeError"
    assert "complex" in result.failure.message


def test_missing_gradient_is_none() -> None:
    graph = Graph(("a", "b"), (Node("mul", ("a", Const(2.0))),))
    result = ValueLikeEngine(NoneGrad).run(graph, {"a": 1.0, "b": 2.0})
    assert result.failure is None
    assert result.gradient == {"a": 2.0, "b": None}


def test_fresh_graph_every_run() -> None:
    engine = ValueLikeEngine(DOUBLES["NoInteriorReset"])
    graph = parse_expression(ISSUE_53[0])
    first = engine.run(graph, ISSUE_53[1])
    second = engine.run(graph, ISSUE_53[1])
    assert first.gradient == second.gradient == {"a": 1.0, "b": 1.0, "d": 5.0}


# --- probing unusual APIs ------------------------------------------------------------


def test_probe_boxed_api() -> None:
    engine = ValueLikeEngine(Boxed)
    assert engine.supported_ops == {"add", "mul", "tanh"}
    assert engine.report.data == ".value"
    assert engine.report.grad == ".gradient()"
    assert engine.report.backward == "backprop"
    result = engine.run(parse_expression("tanh(a*b) + a"), {"a": 0.5, "b": 2.0})
    assert result.failure is None
    assert math.isclose(result.gradient["b"], 0.5 / math.cosh(1.0) ** 2, rel_tol=1e-12)


def test_probe_lowercase_class() -> None:
    assert ValueLikeEngine(scalar).supported_ops == REFERENCE.supported_ops


def test_probe_missing_neg() -> None:
    engine = ValueLikeEngine(NoNeg)
    assert "neg" not in engine.supported_ops
    assert "TypeError" in engine.report.ops["neg"].forms[0].detail


def test_probe_forward_only_op() -> None:
    engine = ValueLikeEngine(ForwardOnlyExp)
    assert "exp" not in engine.supported_ops
    assert "no gradient reaches x" in engine.report.ops["exp"].forms[0].detail
    assert "unsupported exp" in engine.report.format()


def test_probe_records_each_form() -> None:
    class NoReflectedDiv(GoodValue):
        __rtruediv__ = None  # type: ignore[assignment]

    support = ValueLikeEngine(NoReflectedDiv).report.ops["div"]
    assert not support.supported
    assert [(form.form, form.ok) for form in support.forms] == [("x/y", True), ("x/2", True), ("2/x", False)]


def test_mapping_names_methods() -> None:
    with pytest.raises(EngineLoadError, match="set 'backward' in the mapping"):
        ValueLikeEngine(Renamed)
    engine = ValueLikeEngine(Renamed, mapping={"backward": "run_back", "ops": {"relu": "activate", "sin": False}})
    assert "relu" in engine.supported_ops
    assert "sin" not in engine.supported_ops
    result = engine.run(parse_expression("relu(a) * b"), {"a": 2.0, "b": 3.0})
    assert result.gradient == {"a": 3.0, "b": 2.0}


# --- the zoo of micrograd clones (installed outside the repository) -----------------

#: Folder holding one ``pip install --target`` folder per package, as
#: ``reports/run_zoo.sh`` makes it; unset, the zoo tests are skipped.
ZOO_DIR = os.environ.get("GRADORACLE_ZOO_DIR")
#: package folder -> (import spec, ops the probe must find)
ZOO_ENGINES = {
    "micrograd": ("micrograd.engine:Value", "add sub mul div neg pow relu"),
    "micrograd-ds": ("micrograd:Value", "add sub mul div neg pow exp log tanh sigmoid relu"),
    "lilgrad": ("micrograd:Value", "add sub mul div neg pow exp log tanh sigmoid relu"),
    "gradflow-kit": ("micrograd:Node", "add sub mul div tanh"),
    "coregrad": ("coregrad:Scalar", "add sub mul div pow powv tanh"),
    "nanoautograd": ("NanoAutoGrad.engine:Item", "add sub mul neg pow exp tanh"),
    "mikegrad": ("mikegrad:Value", "add sub mul neg pow powv exp log tanh sigmoid relu"),
    "propgrad": ("propgrad:Value", "add sub mul div neg pow exp log tanh sigmoid relu"),
    "femtograd": ("femtograd.femtograd:value", "add sub mul div neg pow tanh relu"),
    "scalargrad": ("scalargrad:Scalar", "add sub mul div neg pow exp log tanh sigmoid relu"),
}
# Clones share the package name micrograd, so each one is probed in its own interpreter.
ZOO_CHILD = """
import json, sys
from engines._spec import load_engine
from oracle import parse_expression
engine = load_engine(sys.argv[1])
result = engine.run(parse_expression("(a*b + c)*f"), dict(a=2.0, b=-3.0, c=10.0, f=-2.0))
print(json.dumps({"ops": sorted(engine.supported_ops), "value": result.value,
                  "gradient": result.gradient, "failure": str(result.failure or "")}))
"""


@pytest.mark.parametrize("package", sorted(ZOO_ENGINES))
def test_zoo_engine_probe_and_run(package: str) -> None:
    if ZOO_DIR is None:
        pytest.skip("GRADORACLE_ZOO_DIR is not set; point it at the folder reports/run_zoo.sh installs into")
    folder = Path(ZOO_DIR) / package
    if not folder.is_dir():
        pytest.skip(f"zoo folder {folder} is absent; install with pip install --no-deps --target {folder} {package}")
    spec, ops = ZOO_ENGINES[package]
    repository = str(Path(__file__).resolve().parent.parent)
    completed = subprocess.run(
        [sys.executable, "-c", ZOO_CHILD, f"{spec}@{folder}"],
        capture_output=True, text=True, timeout=120, cwd=repository,
        env={**os.environ, "PYTHONPATH": repository},
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    output = json.loads(completed.stdout.strip().splitlines()[-1])
    assert set(output["ops"]) == set(ops.split())
    assert output["failure"] == ""
    assert output["value"] == -8.0
    assert output["gradient"] == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0}
