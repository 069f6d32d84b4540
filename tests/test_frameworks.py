"""Tests of the framework adapters against the real PyTorch, JAX, tinygrad and autograd.

Each spec is skipped when its framework is not installed.  The kink table
pins what each framework was observed to return where the derivative is not
unique.  It records behaviour and does not judge correctness.
"""

from __future__ import annotations

import importlib.util
import math
import subprocess
import sys
from typing import Any, Optional

import pytest

from engines import ReferenceEngine
from engines._framework import SPEC_PREFIXES
from engines._result import EngineResult
from oracle._errors import EngineLoadError, InvalidArgument
from oracle._graph import Const, Graph, Node
from oracle._ops import OP_NAMES, OPS
from oracle._parse import parse_expression

# Spec name -> the module that must be importable for it.
FRAMEWORK_OF = {
    "torch": "torch",
    "torch-float32": "torch",
    "jax": "jax",
    "jax-float32": "jax",
    "tinygrad": "tinygrad",
    "tinygrad-float64": "tinygrad",
    "autograd": "autograd",
}

#: Relative tolerance against the float64 reference engine, by engine dtype.
TOLERANCE = {"float64": 1e-12, "float32": 1e-5}


def skip_without(module: str) -> None:
    """Skip the test unless ``module`` is installed, without importing it.

    The adapters must do the first import themselves: importing tinygrad
    changes the recursion limit, and the adapter is what undoes that.
    """
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed")


@pytest.fixture(scope="module", params=sorted(SPEC_PREFIXES))
def engine(request: pytest.FixtureRequest) -> Any:
    skip_without(FRAMEWORK_OF[request.param])
    return SPEC_PREFIXES[request.param]("")


def make_engine(spec: str) -> Any:
    skip_without(FRAMEWORK_OF[spec])
    return SPEC_PREFIXES[spec]("")


def test_specs_cover_every_framework() -> None:
    assert set(SPEC_PREFIXES) == set(FRAMEWORK_OF)


@pytest.mark.parametrize("spec", ["torch", "torch-float32", "jax", "jax-float32", "autograd"])
def test_spec_argument_is_rejected(spec: str) -> None:
    skip_without(FRAMEWORK_OF[spec])

    with pytest.raises(EngineLoadError, match=rf"'{spec}:fast' takes no argument"):
        SPEC_PREFIXES[spec]("fast")


def test_tinygrad_spec_argument_is_device() -> None:
    skip_without("tinygrad")

    assert SPEC_PREFIXES["tinygrad"]("").device == "PYTHON"
    assert SPEC_PREFIXES["tinygrad-float64"]("CPU").device == "CPU"


def test_load_engine_resolves_registered_specs() -> None:
    spec_module = pytest.importorskip("engines._spec")
    skip_without("torch")
    for prefix, factory in SPEC_PREFIXES.items():
        spec_module.register_spec_prefix(prefix, factory)

    engine = spec_module.load_engine("torch-float32")

    assert engine.name == "torch-float32"
    assert engine.dtype == "float32"


# --- worked example ----------------------------------------------------------


def test_worked_example(engine: Any) -> None:
    graph = parse_expression("(a*b + c)*f")
    result = engine.run(graph, {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0})

    assert result.failure is None
    assert result.value == -8.0
    assert result.gradient == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0}


def test_engine_attributes(engine: Any) -> None:
    assert engine.name in SPEC_PREFIXES
    assert engine.dtype in ("float64", "float32")
    assert isinstance(engine.version, str) and engine.version
    assert engine.supported_ops <= set(OP_NAMES)


# --- agreement with the reference engine at ordinary points ----------------

# Every point is exactly representable in float32, so a float32 engine starts
# from the same inputs as the float64 reference.
POINT = {"a": 0.75, "b": 1.25, "c": -0.5, "f": 2.5}

AGREEMENT_EXPRESSIONS = [
    "a + b",
    "a + 2",
    "2 + a",
    "a - b",
    "a - 2",
    "2 - a",
    "a * b",
    "2 * a",
    "a / b",
    "a / 2",
    "2 / a",
    "-a",
    "a ** 3",
    "a ** 0.5",
    "a ** -2",
    "2 ** a",
    "0.5 ** a",
    "a ** b",
    "b ** a",
    "exp(a)",
    "log(a)",
    "tanh(a)",
    "sigmoid(a)",
    "sigmoid(-b)",
    "relu(a)",
    "relu(-a)",
    "sin(a)",
    "cos(a)",
    "sqrt(a)",
    "abs(a)",
    "abs(-a)",
    "max(a, b)",
    "max(b, a)",
    "max(a, 2)",
    "max(2, a)",
    "max(a, 0.5)",
    "min(a, b)",
    "min(a, 2)",
    "min(2, a)",
    "min(0.5, a)",
    "t = a*b; t*t + c",
    "(a*b + c)*f",
    "t = sin(a)*exp(b); u = t / (1 + a*a); log(1 + u*u) + sqrt(abs(t)) + max(t, u) + tanh(u - b)*f",
    "t = a ** b; u = 2 ** (c - t); relu(u - 0.5)*min(t, u) + sigmoid(t*f) - cos(u)/c",
]


def assert_close(quantity: str, actual: Optional[float], expected: float, tolerance: float) -> None:
    assert actual is not None, f"{quantity}: the engine returned no value"
    assert math.isclose(actual, expected, rel_tol=tolerance, abs_tol=0.0), (
        f"{quantity}: engine {actual!r} != reference {expected!r} (relative tolerance {tolerance})"
    )


def assert_agrees(result: EngineResult, reference: EngineResult, tolerance: float) -> None:
    assert result.failure is None, str(result.failure)
    assert_close("value", result.value, reference.value, tolerance)
    for name, expected in reference.gradient.items():
        assert_close(f"d/d{name}", result.gradient.get(name), expected, tolerance)
    if result.node_values is not None:
        for index, expected in enumerate(reference.node_values):
            assert_close(f"value of node {index}", result.node_values[index], expected, tolerance)
    if result.node_adjoints is not None:
        for index, expected in enumerate(reference.node_adjoints):
            assert_close(f"adjoint of node {index}", result.node_adjoints[index], expected, tolerance)


@pytest.mark.parametrize("expression", AGREEMENT_EXPRESSIONS)
def test_agrees_with_reference(engine: Any, expression: str) -> None:
    graph = parse_expression(expression)
    point = {name: POINT[name] for name in graph.inputs}

    reference = ReferenceEngine().run(graph, point)
    result = engine.run(graph, point)

    assert_agrees(result, reference, TOLERANCE[engine.dtype])


def test_agreement_table_covers_every_op() -> None:
    used: set[str] = set()
    for expression in AGREEMENT_EXPRESSIONS:
        used |= parse_expression(expression).ops_used()
    assert used == set(OP_NAMES)


def test_agreement_detects_swapped_op() -> None:
    broken = make_engine("torch")
    torch = pytest.importorskip("torch")
    broken._apply["sin"] = torch.cos
    graph = parse_expression("sin(a)")

    reference = ReferenceEngine().run(graph, {"a": 0.75})
    result = broken.run(graph, {"a": 0.75})

    with pytest.raises(AssertionError, match="value"):
        assert_agrees(result, reference, TOLERANCE["float64"])


# --- supported_ops is exactly what run can execute --------------------------


def one_node_graph(op_name: str) -> Graph:
    """Return ``x <op> y`` (or ``op(x)``) with constants where the op table requires them."""
    entry = OPS[op_name]
    if entry.arity == 1:
        return Graph(("x",), (Node(op_name, ("x",)),))
    if entry.constant == "left":
        return Graph(("x",), (Node(op_name, (Const(1.5), "x")),))
    if entry.constant == "right":
        return Graph(("x",), (Node(op_name, ("x", Const(1.5))),))
    return Graph(("x", "y"), (Node(op_name, ("x", "y")),))


def test_supported_ops_all_run(engine: Any) -> None:
    for op_name in sorted(engine.supported_ops):
        graph = one_node_graph(op_name)
        point = {"x": 0.75, "y": 1.25}
        result = engine.run(graph, {name: point[name] for name in graph.inputs})

        assert result.failure is None, f"{op_name}: {result.failure}"
        assert result.value is not None and math.isfinite(result.value), f"{op_name}: value {result.value}"
        for name, gradient in result.gradient.items():
            assert gradient is not None and math.isfinite(gradient), f"{op_name}: d/d{name} = {gradient}"


@pytest.mark.parametrize("spec", sorted(SPEC_PREFIXES))
def test_unsupported_op_is_build_failure(spec: str) -> None:
    narrowed = make_engine(spec)
    narrowed.supported_ops = narrowed.supported_ops - {"relu"}

    result = narrowed.run(parse_expression("relu(a) + a"), {"a": 1.0})

    assert result.failure is not None
    assert result.failure.phase == "build"
    assert "relu" in result.failure.message


# --- failures are reported, never raised -------------------------------------


class InjectedFault(RuntimeError):
    pass


def raise_fault(*args: Any) -> Any:
    raise InjectedFault("injected forward fault")


@pytest.mark.parametrize("spec", sorted(SPEC_PREFIXES))
def test_forward_fault_is_reported(spec: str) -> None:
    broken = make_engine(spec)
    broken._apply["exp"] = raise_fault

    result = broken.run(parse_expression("exp(a) + a"), {"a": 1.0})

    assert result.failure is not None
    assert result.failure.phase == "forward"
    assert result.failure.error_type == "InjectedFault"


@pytest.mark.parametrize("spec", sorted(SPEC_PREFIXES))
def test_missing_input_is_build_failure(spec: str) -> None:
    result = make_engine(spec).run(parse_expression("a * b"), {"a": 1.0})

    assert result.failure is not None
    assert result.failure.phase == "build"
    assert result.failure.error_type == "KeyError"


def torch_backward_fault() -> Any:
    torch = pytest.importorskip("torch")

    class FailsInBackward(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            return x.clone()

        @staticmethod
        def backward(ctx: Any, grad: Any) -> Any:
            raise InjectedFault("injected backward fault")

    return FailsInBackward.apply


def jax_backward_fault() -> Any:
    jax = pytest.importorskip("jax")

    @jax.custom_vjp
    def identity(x: Any) -> Any:
        return x

    def forward(x: Any) -> Any:
        return x, None

    def backward(residual: Any, grad: Any) -> Any:
        raise InjectedFault("injected backward fault")

    identity.defvjp(forward, backward)
    return identity


def autograd_backward_fault() -> Any:
    extend = pytest.importorskip("autograd.extend")

    @extend.primitive
    def identity(x: Any) -> Any:
        return x

    def vjp_maker(ans: Any, x: Any) -> Any:
        def vjp(grad: Any) -> Any:
            raise InjectedFault("injected backward fault")

        return vjp

    extend.defvjp(identity, vjp_maker)
    return identity


BACKWARD_FAULTS = {
    "torch": torch_backward_fault,
    "torch-float32": torch_backward_fault,
    "jax": jax_backward_fault,
    "jax-float32": jax_backward_fault,
    "autograd": autograd_backward_fault,
}


@pytest.mark.parametrize("spec", sorted(BACKWARD_FAULTS))
def test_backward_fault_is_reported(spec: str) -> None:
    broken = make_engine(spec)
    broken._apply["exp"] = BACKWARD_FAULTS[spec]()

    result = broken.run(parse_expression("exp(a) * a"), {"a": 1.0})

    assert result.failure is not None
    assert result.failure.phase == "backward"
    assert result.failure.error_type == "InjectedFault"
    assert result.value == 1.0


@pytest.mark.parametrize("spec", ["tinygrad", "tinygrad-float64"])
def test_tinygrad_backward_fault_is_reported(spec: str, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = make_engine(spec)
    tinygrad = pytest.importorskip("tinygrad")
    monkeypatch.setattr(tinygrad.Tensor, "backward", raise_fault)

    result = broken.run(parse_expression("exp(a) * a"), {"a": 1.0})

    assert result.failure is not None
    assert result.failure.phase == "backward"
    assert result.failure.error_type == "InjectedFault"


# --- construction errors ------------------------------------------------------


@pytest.mark.parametrize("spec", sorted(SPEC_PREFIXES))
def test_missing_framework_is_load_error(spec: str, monkeypatch: pytest.MonkeyPatch) -> None:
    framework = FRAMEWORK_OF[spec]
    # A None entry in sys.modules makes ``import`` raise ImportError.
    monkeypatch.setitem(sys.modules, framework, None)

    with pytest.raises(EngineLoadError, match=rf"pip install 'gradoracle\[{framework}\]'"):
        SPEC_PREFIXES[spec]("")


@pytest.mark.parametrize(
    ("module", "class_name", "dtype"),
    [
        ("engines._torch", "TorchEngine", "float16"),
        ("engines._jax", "JaxEngine", "bfloat16"),
        ("engines._tinygrad", "TinygradEngine", "float16"),
    ],
)
def test_invalid_dtype_is_rejected(module: str, class_name: str, dtype: str) -> None:
    engine_class = getattr(__import__(module, fromlist=[class_name]), class_name)

    with pytest.raises(InvalidArgument, match=rf"dtype='{dtype}' is not supported"):
        engine_class(dtype)


# --- per-node data --------------------------------------------------------------


@pytest.mark.parametrize("spec", ["torch", "torch-float32", "tinygrad", "tinygrad-float64"])
def test_dead_node_and_unused_input_have_no_gradient(spec: str) -> None:
    graph = Graph(("a", "b"), (Node("exp", ("b",)), Node("mul", ("a", Const(3.0)))))

    result = make_engine(spec).run(graph, {"a": 2.0, "b": 1.0})

    assert result.failure is None, str(result.failure)
    assert result.gradient == {"a": 3.0, "b": None}
    assert result.node_adjoints == [None, 1.0]


@pytest.mark.parametrize("spec", ["jax", "jax-float32", "autograd"])
def test_unused_input_has_zero_gradient(spec: str) -> None:
    graph = Graph(("a", "b"), (Node("exp", ("b",)), Node("mul", ("a", Const(3.0)))))

    result = make_engine(spec).run(graph, {"a": 2.0, "b": 1.0})

    assert result.failure is None, str(result.failure)
    assert result.gradient == {"a": 3.0, "b": 0.0}
    assert result.node_adjoints is None


def test_float32_engines_round_to_float32() -> None:
    graph = parse_expression("a / 3")
    exact = 1 / 3
    for spec in ("torch-float32", "jax-float32", "tinygrad"):
        result = make_engine(spec).run(graph, {"a": 1.0})

        assert result.failure is None, f"{spec}: {result.failure}"
        assert result.value != exact, f"{spec} computed in float64"
        assert math.isclose(result.value, exact, rel_tol=1e-7), spec


# --- observed values at kinks -------------------------------------------------

# Gradients each framework returned at a kink, observed with torch 2.13.0,
# jax 0.10.2, tinygrad 0.14.0 (PYTHON device) and autograd 1.9.1.  Each row
# gives the expression, the point, the gradient most frameworks return and the
# specs that differ.  When a framework upgrade changes a value, this test
# fails, and the table should be updated to the newly observed value.
KINKS: list[tuple[str, dict[str, float], tuple[float, ...], dict[str, tuple[float, ...]]]] = [
    ("relu(x)", {"x": 0.0}, (0.0,), {"autograd": (0.5,)}),
    ("relu(x)", {"x": -0.0}, (0.0,), {"autograd": (0.5,)}),
    ("abs(x)", {"x": 0.0}, (0.0,), {"jax": (1.0,), "jax-float32": (1.0,)}),
    ("abs(x)", {"x": -0.0}, (0.0,), {"jax": (1.0,), "jax-float32": (1.0,)}),
    ("max(x, y)", {"x": 1.0, "y": 1.0}, (0.5, 0.5), {}),
    ("min(x, y)", {"x": 1.0, "y": 1.0}, (0.5, 0.5), {}),
    ("max(x, 2)", {"x": 2.0}, (0.5,), {}),
    ("max(2, x)", {"x": 2.0}, (0.5,), {}),
    ("min(x, 2)", {"x": 2.0}, (0.5,), {}),
    ("sqrt(x)", {"x": 0.0}, (math.inf,), {}),
    ("sqrt(x)", {"x": -0.0}, (-math.inf,), {"autograd": (math.inf,)}),
    ("x ** 0", {"x": 0.0}, (0.0,), {"jax": (math.nan,), "jax-float32": (math.nan,)}),
    ("x ** 0.5", {"x": 0.0}, (math.inf,), {}),
    ("x ** 1", {"x": 0.0}, (1.0,), {}),
    ("x ** 2", {"x": 0.0}, (0.0,), {}),
    ("x ** -1", {"x": 0.0}, (-math.inf,), {}),
    ("x ** y", {"x": 0.0, "y": 0.0}, (0.0, 0.0), {"jax": (math.nan, 0.0), "jax-float32": (math.nan, 0.0)}),
    ("x ** y", {"x": 0.0, "y": 1.0}, (1.0, 0.0), {}),
    ("x ** y", {"x": 0.0, "y": 2.0}, (0.0, 0.0), {}),
    ("0 ** y", {"y": 2.0}, (0.0,), {}),
    ("0 ** y", {"y": 0.0}, (0.0,), {}),
    ("log(x)", {"x": 0.0}, (math.inf,), {}),
]


def same_float(actual: Optional[float], expected: float) -> bool:
    if actual is None:
        return False
    if math.isnan(expected):
        return math.isnan(actual)
    return actual == expected


@pytest.mark.parametrize(
    ("expression", "point", "usual", "exceptions"),
    KINKS,
    ids=[f"{expression} at {point}" for expression, point, _, _ in KINKS],
)
def test_kink_gradients_as_observed(
    engine: Any,
    expression: str,
    point: dict[str, float],
    usual: tuple[float, ...],
    exceptions: dict[str, tuple[float, ...]],
) -> None:
    expected = exceptions.get(engine.name, usual)

    result = engine.run(parse_expression(expression), point)

    assert result.failure is None, str(result.failure)
    observed = tuple(result.gradient.values())
    assert len(observed) == len(expected)
    for name, actual, want in zip(result.gradient, observed, expected):
        assert same_float(actual, want), (
            f"{engine.name} {engine.version}: d/d{name} of {expression} at {point} is {actual!r}, "
            f"recorded {want!r}"
        )


# A fresh interpreter, so that no earlier test has imported tinygrad yet.
RECURSION_LIMIT_SCRIPT = """
import sys
before = sys.getrecursionlimit()
from engines._tinygrad import TinygradEngine
engine = TinygradEngine()
after_import = sys.getrecursionlimit()
result = engine.run(__import__("oracle").parse_expression("a * b"), {"a": 1.0, "b": 2.0})
print(before, after_import, sys.getrecursionlimit(), result.failure)
"""


def test_tinygrad_keeps_recursion_limit() -> None:
    skip_without("tinygrad")

    completed = subprocess.run(
        [sys.executable, "-c", RECURSION_LIMIT_SCRIPT], capture_output=True, text=True, timeout=120, check=True
    )
    before, after_import, after_run, failure = completed.stdout.split()

    assert failure == "None"
    assert after_import == before
    assert after_run == before
