"""Assertion helpers for checking an autograd engine inside your own tests.

Each helper raises ``GradientMismatch`` (an ``AssertionError``) whose message
shows the expression, the inputs, the truth beside the engine's value and
gradient, the first wrong op where known and a script that reproduces the
failure.  On success each returns what it checked, for further asserts.

``engine`` may be a micrograd-style class (``Value``), an engine spec string
(``"micrograd.engine:Value"``, ``"torch"``) or an object that implements the
``Engine`` protocol.

With the pytest plugin installed the ``gradoracle`` fixture is a ``Checker``
whose defaults come from the ``--oracle-*`` options.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence

from ._errors import GradientMismatch, InvalidArgument
from ._options import DEFAULT_MAX_EXAMPLES

if TYPE_CHECKING:
    from ._campaign import CampaignResult
    from ._verdict import Verdict

__all__ = ["Checker", "GradientMismatch", "check_engine", "check_expression", "check_graph", "engine_for"]

_ENGINES: dict[type, Any] = {}


def engine_for(engine: Any) -> Any:
    """Return an ``Engine`` for a class, a spec string or an engine object (returned as is).

    Classes are probed once and cached.  Raises ``EngineLoadError`` for a
    class or spec that cannot be used.
    """
    from ._check import resolve_engine

    if isinstance(engine, type):
        if engine not in _ENGINES:
            from engines._value_like import ValueLikeEngine

            _ENGINES[engine] = ValueLikeEngine(engine)
        return _ENGINES[engine]
    if isinstance(engine, str) or hasattr(engine, "run"):
        return resolve_engine(engine)
    raise InvalidArgument(
        f"engine={engine!r} is not a class, a spec string or an engine; pass your Value class, e.g. check_expression(Value, 'x*y', x=1.0, y=2.0)")


def _fail_on(engine: Any, verdict: "Verdict") -> None:
    __tracebackhide__ = True
    if not verdict.ok:
        from ._plugin_items import mismatch_error

        raise mismatch_error(engine, verdict)


def _point(inputs: Mapping[str, Any]) -> dict[str, float]:
    point = {}
    for name, value in inputs.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidArgument(f"input {name}={value!r} must be a float, e.g. {name}=1.5")
        point[name] = float(value)
    return point


def check_expression(engine: Any, expression: str, /, **inputs: float) -> "Verdict":
    """Check ``engine`` on one typed expression at one point, e.g. ``check_expression(Value, "2 - x", x=3.0)``.

    Every input of the expression needs a value.  Returns the verdict when
    the engine agrees with the truth (conventions at kinks allowed).
    """
    __tracebackhide__ = True
    from ._check import check
    from ._parse import parse_expression

    graph = parse_expression(expression)
    point = _point(inputs)
    missing = [name for name in graph.inputs if name not in point]
    if missing:
        raise InvalidArgument(
            f"expression {expression!r} needs a value for {', '.join(missing)}; pass e.g. "
            + ", ".join(f"{name}=1.0" for name in missing))
    unknown = [name for name in point if name not in graph.inputs]
    if unknown:
        raise InvalidArgument(
            f"expression {expression!r} does not use {', '.join(unknown)}; its inputs are {', '.join(graph.inputs)}")
    resolved = engine_for(engine)
    verdict = check(resolved, graph, point)
    _fail_on(resolved, verdict)
    return verdict


def check_graph(output: Any, inputs: Mapping[str, Any], *, engine: Any = None) -> "Verdict":
    """Check the gradients of a graph you built with your engine, e.g. ``check_graph(z, inputs={"x": x})``.

    The graph is walked from ``output`` through each object's children and
    op labels (micrograd's ``_prev`` and ``_op``) and rebuilt from the op
    table.  It then runs fresh through ``engine`` (default: the class of
    ``output``), so your objects and their gradients are left untouched.
    Leaves that are not in ``inputs`` count as constants.  Raises ``InvalidArgument`` for an
    op label the op table does not know or objects without children.
    """
    __tracebackhide__ = True
    from ._check import check
    from ._plugin_walk import graph_from_objects

    if not inputs:
        raise InvalidArgument("inputs={} is empty; name the leaves to check, e.g. inputs={'x': x, 'y': y}")
    graph, point = graph_from_objects(output, inputs)
    resolved = engine_for(type(output) if engine is None else engine)
    verdict = check(resolved, graph, point)
    _fail_on(resolved, verdict)
    return verdict


def check_engine(
    engine: Any,
    *,
    ops: Optional[Sequence[str]] = None,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
    seed: int = 0,
    max_nodes: int = 8,
    time_budget: Optional[float] = None,
    state_checks: bool = True,
) -> "CampaignResult":
    """Fuzz ``engine`` on generated graphs of ``ops`` (default: all it supports).

    Runs a campaign of ``max_examples`` examples; each distinct divergence
    is shrunk to its smallest example.  Raises ``GradientMismatch`` for the
    first one, with the number of distinct divergences found, else returns
    the campaign result.
    """
    __tracebackhide__ = True
    from ._campaign import fuzz
    from ._options import parse_ops

    if isinstance(ops, str):
        ops = parse_ops(ops)
    elif ops is not None:
        ops = parse_ops(",".join(ops))
    if max_examples < 1:
        raise InvalidArgument(f"max_examples={max_examples} must be at least 1")
    resolved = engine_for(engine)
    result = fuzz([resolved], ops=ops, max_examples=max_examples, seed=seed, max_nodes=max_nodes,
                  time_budget=time_budget, state_checks=state_checks)
    summary = result.engines[0] if result.engines else None
    if summary is not None and summary.load_error is not None:
        raise InvalidArgument(f"engine {summary.spec!r} cannot be checked: {summary.load_error}")
    if result.defects:
        from ._plugin_items import mismatch_error

        first = result.defects[0]
        error = mismatch_error(resolved, first.verdict)
        others = len(result.defects) - 1
        if others:
            kinds = ", ".join(sorted({defect.verdict.kind for defect in result.defects[1:]}))
            error.args = (f"{error.args[0]}\n{others} more distinct divergence(s): {kinds}",)
        raise error
    return result


@dataclass(frozen=True)
class Checker:
    """The ``gradoracle`` fixture: the helpers above with the run's ``--oracle-*`` options as defaults."""

    max_examples: int = DEFAULT_MAX_EXAMPLES
    seed: int = 0
    max_nodes: int = 8
    ops: Optional[tuple[str, ...]] = None

    def check_engine(self, engine: Any, **options: Any) -> "CampaignResult":
        """Run ``check_engine`` with this run's ops, example count, seed and graph size unless given."""
        __tracebackhide__ = True
        defaults = {"ops": self.ops, "max_examples": self.max_examples, "seed": self.seed, "max_nodes": self.max_nodes}
        return check_engine(engine, **{**defaults, **options})

    def check_expression(self, engine: Any, expression: str, /, **inputs: float) -> "Verdict":
        """Run ``check_expression``."""
        __tracebackhide__ = True
        return check_expression(engine, expression, **inputs)

    def check_graph(self, output: Any, inputs: Mapping[str, Any], *, engine: Any = None) -> "Verdict":
        """Run ``check_graph``."""
        __tracebackhide__ = True
        return check_graph(output, inputs, engine=engine)
