"""Find out how a micrograd-style class is used, and which ops it supports.

Probing constructs ``Cls(x)``, looks for the data and gradient attributes and
the backward method under their common names, then tries every op of the
table in every operand form (Value/Value, Value/constant, constant/Value) on
small values away from kinks and poles.  An op counts as supported when
every form runs forward and backward and at least one form passes a finite
nonzero gradient to a variable operand whose true derivative is nonzero.
An op that computes a value but backpropagates nowhere is unsupported.
Gradients that are wrong, or missing in some forms or for some operands,
are supported and noted, because finding wrong derivatives is the oracle's
job, not the probe's.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, replace
from typing import Any, Optional

from oracle._graph import Const, Graph, Node, Operand
from oracle._ops import OPS

from ._mapping import ApiMapping
from ._reference_engine import ReferenceEngine
from ._value_api import Accessor, OpForm, ValueApi, to_float
from ._value_run import execute

__all__ = ["FormResult", "OpSupport", "ProbeReport", "probe"]

_DATA_NAMES = ("data", "value", "val", "item", "_data", "_value", "scalar", "x", "v")
_GRAD_NAMES = ("grad", "gradient", "grad_value", "_grad", "g")
_BACKWARD_NAMES = ("backward", "backwards", "backprop", "back_prop", "backpropagate", "backpropagation")
_ZERO_GRAD_NAMES = ("zero_grad", "zero_grads", "zerograd", "reset_grad", "clear_grad")
#: Extra method names tried after the op table's own forms.
_METHOD_ALIASES = {
    "relu": ("ReLU", "Relu"),
    "sigmoid": ("Sigmoid",),
    "tanh": ("Tanh",),
    "log": ("ln",),
    "max": ("maximum",),
    "min": ("minimum",),
}

#: Probe values: positive, non-integer, away from every kink and pole.
_X, _Y, _C = 0.7, 1.3, 2.0
#: Per-op overrides, so that the variable operand decides max and min.
_POINTS: dict[str, dict[str, tuple[float, float]]] = {
    "abs": {"unary": (-0.7, 0.0)},
    "max": {"vv": (1.3, 0.7), "vc": (0.7, -2.0), "cv": (-2.0, 0.7)},
    "min": {"vv": (0.7, 1.3), "vc": (0.7, 2.0), "cv": (2.0, 0.7)},
}
_REFERENCE = ReferenceEngine()
_LEAF_VALUE = 1.5


@dataclass(frozen=True)
class FormResult:
    """The outcome of one operand form of one op, such as ``2 - x``."""

    form: str
    #: True when the form runs forward and backward without an exception.
    ok: bool
    detail: str = ""
    #: True when some variable operand received a nonzero gradient.
    backpropagates: bool = True


@dataclass
class OpSupport:
    """Whether one op works, with the form used and the result of each operand form."""

    op: str
    supported: bool
    how: str = ""
    forms: list[FormResult] = field(default_factory=list)
    reason: str = ""


@dataclass
class ProbeReport:
    """Findings of probing one class; ``error`` is set when the class is unusable."""

    target: str
    constructor: str = ""
    data: str = ""
    grad: str = ""
    backward: str = ""
    zero_grad: Optional[str] = None
    dtype: str = "float64"
    ops: dict[str, OpSupport] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    error: Optional[str] = None
    api: Optional[ValueApi] = field(default=None, repr=False, compare=False)

    @property
    def supported_ops(self) -> frozenset[str]:
        return frozenset(name for name, support in self.ops.items() if support.supported)

    def format(self) -> str:
        """Return the report as plain text, one fact per line."""
        lines = [f"class: {self.target}"]
        if self.error is not None:
            lines.append(f"unusable: {self.error}")
        else:
            lines.append(
                f"constructor: {self.constructor}  data: {self.data}  grad: {self.grad}"
                f"  backward: .{self.backward}()  zero_grad: "
                + (f".{self.zero_grad}()" if self.zero_grad else "none")
            )
            lines.append(f"dtype: {self.dtype}")
            supported = [name for name in OPS if name in self.supported_ops]
            lines.append(f"supported ops ({len(supported)}): {' '.join(supported) or 'none'}")
            for name, support in self.ops.items():
                if support.supported:
                    continue
                lines.append(f"  unsupported {name}: {support.reason}")
                for form in support.forms:
                    status = form.detail or "ok"
                    lines.append(f"    {form.form}: {status}")
        lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join(lines)


def _class_name(cls: type) -> str:
    return f"{getattr(cls, '__module__', '?')}.{getattr(cls, '__qualname__', cls.__name__)}"


def _read_number(obj: Any, name: str) -> Optional[tuple[float, Accessor, Any]]:
    """Read ``obj.name`` (calling it when it is a method) as a float, or return None."""
    try:
        raw = getattr(obj, name)
    except Exception:
        return None
    kind = "attribute"
    if callable(raw) and not hasattr(raw, "dtype"):
        try:
            raw = raw()
        except Exception:
            return None
        kind = "method"
    if raw is None:
        return None
    try:
        return to_float(raw), Accessor(name, kind), raw  # type: ignore[arg-type]
    except TypeError:
        return None


def _close(a: float, b: float, rel: float = 1e-6) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)


def _find_method(obj: Any, preferred: Optional[str], names: tuple[str, ...]) -> Optional[str]:
    candidates = (preferred,) if preferred else names
    for name in candidates:
        try:
            if callable(getattr(obj, name)):
                return name
        except Exception:
            continue
    return None


def _probe_basics(cls: type, mapping: ApiMapping, report: ProbeReport) -> Optional[ValueApi]:
    name = getattr(cls, "__name__", "Cls")
    report.constructor = f"{name}(x)"
    try:
        leaf = cls(_LEAF_VALUE)
    except Exception as error:
        report.error = f"{name}({_LEAF_VALUE}) raised {type(error).__name__}: {error}; the class must accept one float"
        return None

    data_names = (mapping.data,) if mapping.data else _DATA_NAMES
    data = None
    for data_name in data_names:
        found = _read_number(leaf, data_name)
        if found is not None and found[0] == _LEAF_VALUE:
            data = found
            break
    if data is None:
        report.error = f"no data attribute of {name}({_LEAF_VALUE}) reads back {_LEAF_VALUE}; tried {', '.join(data_names)}; set 'data' in the mapping"
        return None
    report.data = data[1].describe()
    dtype_name = str(getattr(data[2], "dtype", type(data[2]).__name__))
    if "float32" in dtype_name or "float16" in dtype_name:
        report.dtype = "float32"
    if not isinstance(data[2], float):
        report.notes.append(f"data is stored as {type(data[2]).__name__}")

    backward = _find_method(leaf, mapping.backward, _BACKWARD_NAMES)
    if backward is None:
        tried = mapping.backward or ", ".join(_BACKWARD_NAMES)
        report.error = f"no backward method found on {name}; tried {tried}; set 'backward' in the mapping"
        return None
    report.backward = backward
    report.zero_grad = _find_method(leaf, mapping.zero_grad, _ZERO_GRAD_NAMES)

    # Run backward on x*3 (or x+1, or x itself) so the gradient has a known value.
    expected, output = 1.0, leaf
    for factor, make in ((3.0, lambda v: v * 3.0), (1.0, lambda v: v + 1.0)):
        try:
            output = make(leaf)
            expected = factor
            break
        except Exception:
            continue
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            getattr(output, backward)()
    except Exception as error:
        report.error = f"{name}.{backward}() raised {type(error).__name__}: {error} on a one-op graph"
        return None

    grad_names = (mapping.grad,) if mapping.grad else _GRAD_NAMES
    readable = [found for found in (_read_number(leaf, grad_name) for grad_name in grad_names) if found is not None]
    matching = [found for found in readable if _close(found[0], expected)]
    nonzero = [found for found in readable if found[0] != 0]
    chosen = (matching or nonzero or [None])[0]
    if chosen is None:
        report.error = f"no gradient attribute of {name} is set by .{backward}(); tried {', '.join(grad_names)}; set 'grad' in the mapping"
        return None
    if not matching:
        report.notes.append(f"gradient of x*{expected:g} read as {chosen[0]!r}, expected {expected:g}")
    report.grad = chosen[1].describe()
    output_grad = _read_number(output, chosen[1].name)
    if output_grad is not None and not isinstance(output_grad[2], float):
        report.notes.append(f"gradients are stored as {type(output_grad[2]).__name__} (the output is seeded with {output_grad[2]!r})")

    return ValueApi(
        cls=cls,
        data=data[1],
        grad=chosen[1],
        backward=backward,
        zero_grad=report.zero_grad,
        backward_twice=mapping.backward_twice,
        dtype=report.dtype,
    )


def _probe_graphs(op_name: str) -> list[tuple[Graph, dict[str, float]]]:
    """Return one tiny graph and point per operand form the op must support."""
    entry = OPS[op_name]
    points = _POINTS.get(op_name, {})
    if entry.arity == 1:
        x, _ = points.get("unary", (_X, 0.0))
        return [(Graph(("x",), (Node(op_name, ("x",)),)), {"x": x})]
    shapes: list[tuple[str, tuple[Operand, Operand]]] = []
    if entry.constant is None:
        shapes.append(("vv", ("x", "y")))
    if op_name != "powv":
        if entry.constant in (None, "right"):
            shapes.append(("vc", ("x", Const(_C))))
        if entry.constant in (None, "left"):
            shapes.append(("cv", (Const(_C), "x")))
    graphs = []
    for shape, args in shapes:
        first, second = points.get(shape, (_X, _Y) if shape == "vv" else (_X, _C) if shape == "vc" else (_C, _X))
        if shape == "vv":
            graphs.append((Graph(("x", "y"), (Node(op_name, args),)), {"x": first, "y": second}))
        elif shape == "vc":
            graphs.append((Graph(("x",), (Node(op_name, ("x", Const(second))),)), {"x": first}))
        else:
            graphs.append((Graph(("x",), (Node(op_name, (Const(first), "x")),)), {"x": second}))
    return graphs


def _candidate_forms(op_name: str, mapping: ApiMapping) -> list[OpForm]:
    if op_name in mapping.ops:
        method = mapping.ops[op_name]
        return [] if method is None else [OpForm("method", method)]
    forms: list[OpForm] = []
    seen_operator = False
    for name in OPS[op_name].forms + _METHOD_ALIASES.get(op_name, ()):
        if name.startswith("__"):
            if not seen_operator:
                forms.append(OpForm("operator", name))
                seen_operator = True
        else:
            forms.append(OpForm("method", name))
    return forms


def _try_form(api: ValueApi, op_name: str, form: OpForm, graph: Graph, point: dict[str, float], notes: list[str]) -> FormResult:
    label = graph.expression()
    result = execute(replace(api, ops={op_name: form}), graph, point).result
    if result.failure is not None:
        return FormResult(label, False, str(result.failure))
    reference = _REFERENCE.run(graph, point)
    point_text = ", ".join(f"{name}={value:g}" for name, value in point.items())
    reached, starved = [], []
    for name in graph.inputs:
        expected = reference.gradient[name]
        got = result.gradient.get(name)
        if expected is None or expected == 0 or not math.isfinite(expected):
            continue
        if got is None or got == 0 or not math.isfinite(got):
            starved.append(f"{name} (got {got!r})")
            continue
        reached.append(name)
        if not _close(got, expected):
            notes.append(f"{op_name}: d({label})/d{name} at {point_text} is {got!r}, reference {expected!r}")
    if starved:
        notes.append(f"{op_name}: no gradient reaches {', '.join(starved)} in {label} at {point_text}")
    if result.value is not None and reference.value is not None and not _close(result.value, reference.value):
        notes.append(f"{op_name}: {label} at {point_text} is {result.value!r}, reference {reference.value!r}")
    if starved and not reached:
        return FormResult(label, True, f"forward works but no gradient reaches {', '.join(starved)}", False)
    return FormResult(label, True)


def _probe_op(api: ValueApi, op_name: str, mapping: ApiMapping, leaf: Any) -> OpSupport:
    forms = _candidate_forms(op_name, mapping)
    if not forms:
        return OpSupport(op_name, False, reason="declared unsupported by the mapping")
    best: Optional[OpSupport] = None
    missing: list[str] = []
    for form in forms:
        if form.kind == "method" and _find_method(leaf, form.name, ()) is None:
            missing.append(form.describe())
            continue
        notes: list[str] = []
        results = [_try_form(api, op_name, form, graph, point, notes) for graph, point in _probe_graphs(op_name)]
        failed = [result for result in results if not result.ok]
        backpropagates = any(result.backpropagates for result in results)
        support = OpSupport(op_name, not failed and backpropagates, form.describe(), results)
        if support.supported:
            support.reason = "; ".join(notes)
            return support
        if failed:
            support.reason = f"{len(failed)} of {len(results)} forms fail with {form.describe()}"
        else:
            support.reason = f"no gradient flows through {form.describe()} in any form"
        if best is None or sum(r.ok for r in results) > sum(r.ok for r in best.forms):
            best = support
    if best is not None:
        return best
    return OpSupport(op_name, False, reason=f"no method {', '.join(missing)}")


def probe(cls: type, mapping: Optional[ApiMapping] = None) -> ProbeReport:
    """Probe ``cls`` and return the report; ``report.api`` is set when the class is usable."""
    mapping = mapping or ApiMapping()
    report = ProbeReport(target=_class_name(cls))
    api = _probe_basics(cls, mapping, report)
    if api is None:
        return report
    leaf = cls(_LEAF_VALUE)
    working: dict[str, OpForm] = {}
    for op_name in OPS:
        support = _probe_op(api, op_name, mapping, leaf)
        report.ops[op_name] = support
        if support.supported:
            working[op_name] = next(f for f in _candidate_forms(op_name, mapping) if f.describe() == support.how)
            if support.reason:
                report.notes.append(support.reason)
                support.reason = ""
    api.ops = working
    report.api = api
    return report
