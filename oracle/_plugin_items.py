"""The generated tests of the pytest plugin: one collector, one Hypothesis test per item.

For every engine spec the collector ``gradoracle`` yields
``test_gradients[ID-OP]`` for each op the engine supports (graphs of that op
alone), ``test_gradients[ID-mixed]`` (graphs of all its ops) and, for
micrograd-style engines, ``test_state[ID-backward-twice]`` and
``test_state[ID-reuse-after-backward]``.  ID is the class name of a
``module:Class`` spec, else the spec itself.

Each item's test object is a Hypothesis ``@given`` test, so Hypothesis's
pytest plugin treats it like any other: its example database replays a
failure first on the next run, settings profiles apply and statistics are
collected.  On top of the active profile the plugin sets four things.  The
number of examples is the engine's ``--oracle-max-examples`` shared evenly
by its tests.  There is no deadline, because the high-precision truth takes
a variable time.  The health checks that a rejection-heavy strategy trips
are suppressed.  The seed is derived from ``--oracle-seed`` unless
``--hypothesis-seed`` is given.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional

import pytest

from ._errors import EngineLoadError, GradientMismatch
from ._plugin_settings import SETTINGS_KEY, PluginSettings

if TYPE_CHECKING:
    from ._graph import Graph

__all__ = ["GeneratedTests", "load_engine_for_run"]

#: The name of the collector; ``-k gradoracle`` and ``-m gradoracle`` select its tests.
COLLECTOR_NAME = "gradoracle"
MIXED = "mixed"
#: (item suffix, check name used by ``engines._state_checks``).
STATE_CHECKS = (("backward-twice", "backward twice"), ("reuse-after-backward", "reuse after backward"))


class Example:
    """One generated graph and point; its repr is what Hypothesis prints as the failing example."""

    __slots__ = ("graph", "point")

    def __init__(self, graph: "Graph", point: dict[str, float]) -> None:
        self.graph = graph
        self.point = point

    def __repr__(self) -> str:
        return f"example({self.graph.expression()!r}, {self.point!r})"


@dataclass
class Clock:
    """The ``--oracle-time`` budget, started by the first generated example of the run."""

    budget: Optional[float]
    deadline: Optional[float] = field(default=None, init=False)

    def expired(self) -> bool:
        if self.budget is None:
            return False
        now = time.monotonic()
        if self.deadline is None:
            self.deadline = now + self.budget
        return now >= self.deadline


CLOCK_KEY = pytest.StashKey[Clock]()


def load_engine_for_run(spec: str, rootpath: Path) -> Any:
    """Load ``spec`` as ``resolve_engine`` does, importing a ``module:Class`` from ``rootpath`` when
    the module is not importable otherwise (the way ``python -m pytest`` finds it there)."""
    import importlib.machinery
    import importlib.util

    from engines._spec import parse_spec

    from ._check import resolve_engine

    try:
        module_name, _, path, _ = parse_spec(spec)
    except EngineLoadError:
        return resolve_engine(spec)  # reference, torch, process:... and other registered prefixes
    top = module_name.split(".")[0]
    if path is None and importlib.util.find_spec(top) is None:
        if importlib.machinery.PathFinder.find_spec(top, [str(rootpath)]) is not None:
            target, _, query = spec.partition("?")
            engine = resolve_engine(f"{target}@{rootpath}" + (f"?{query}" if query else ""))
            engine.name = spec  # reports show the spec as the user wrote it
            return engine
    return resolve_engine(spec)


def engine_id(spec: str) -> str:
    """Return the short name of ``spec`` used in test ids: the class name, else the spec."""
    target = spec.partition("?")[0].partition("@")[0]
    module, colon, class_path = target.partition(":")
    if colon and all(part.isidentifier() for part in (module.split(".") + class_path.split("."))):
        return class_path.split(".")[-1]
    return re.sub(r"[^\w.:-]+", "_", spec).strip("_") or "engine"


def _unique_ids(specs: Iterable[str]) -> dict[str, str]:
    specs = list(dict.fromkeys(specs))
    short = {spec: engine_id(spec) for spec in specs}
    counts: dict[str, int] = {}
    for name in short.values():
        counts[name] = counts.get(name, 0) + 1
    return {spec: name if counts[name] == 1 else re.sub(r"[^\w.:-]+", "_", spec) for spec, name in short.items()}


@dataclass(frozen=True)
class Case:
    """One generated test: which engine, which kind of test, which ops."""

    spec: str
    engine_id: str
    test: str  # "test_gradients" or "test_state"
    variant: str  # an op name, "mixed" or a state check suffix
    ops: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.test}[{self.engine_id}-{self.variant}]"

    @property
    def key(self) -> str:
        """A stable key for Hypothesis's example database and the derived seed."""
        return f"gradoracle|{self.spec}|{self.test}|{self.variant}|{','.join(self.ops)}"


def plan_cases(spec: str, identifier: str, engine: Any, settings: PluginSettings) -> list[Case]:
    """Return the generated tests for one engine: op families, mixed graphs and state checks."""
    from ._ops import OP_NAMES

    requested = set(settings.ops) if settings.ops is not None else set(OP_NAMES)
    ops = tuple(name for name in OP_NAMES if name in engine.supported_ops and name in requested)
    cases = [Case(spec, identifier, "test_gradients", name, (name,)) for name in ops]
    if len(ops) > 1:
        cases.append(Case(spec, identifier, "test_gradients", MIXED, ops))
    if ops and callable(getattr(engine, "check_state", None)):
        cases.extend(Case(spec, identifier, "test_state", suffix, ops) for suffix, _ in STATE_CHECKS)
    return cases


def _gradient_body(engine: Any, clock: Clock) -> Callable[[Example], None]:
    def check_gradients(example: Example) -> None:
        __tracebackhide__ = True
        from hypothesis import event

        from ._check import check

        if clock.expired():
            return
        verdict = check(engine, example.graph, example.point)
        event(verdict.kind)
        if verdict.skipped or verdict.ok:
            return
        raise mismatch_error(engine, verdict)

    return check_gradients


def mismatch_error(engine: Any, verdict: Any) -> GradientMismatch:
    """Return the ``GradientMismatch`` for a failing verdict, with the full reproducer as message."""
    from ._plugin_message import format_mismatch, snippet_for
    from ._records import verdict_record

    return GradientMismatch(format_mismatch(verdict_record(verdict), snippet_for(engine, verdict)), verdict)


def _state_body(engine: Any, clock: Clock, check_name: str) -> Callable[[Example], None]:
    def check_state(example: Example) -> None:
        __tracebackhide__ = True
        from ._plugin_message import format_state_mismatch, snippet_for_state

        if clock.expired():
            return
        findings = [message for name, message in engine.check_state(example.graph, example.point)
                    if name == check_name]
        if not findings:
            return
        snippet = snippet_for_state(engine, example.graph, example.point, check_name)
        message = format_state_mismatch(engine.name, check_name, example.graph.expression(), example.point,
                                        findings, snippet)
        raise GradientMismatch(message, None)

    return check_state


def _hypothesis_test(case: Case, body: Callable[[Example], None], max_examples: int,
                     settings: PluginSettings, config: pytest.Config) -> Callable[[], None]:
    """Wrap ``body`` in a Hypothesis test named after the case's test function."""
    from hypothesis import HealthCheck, Phase, given
    from hypothesis import example as hypothesis_example
    from hypothesis import settings as hypothesis_settings

    from ._parse import parse_expression
    from ._plugin_corners import corners_for

    from strategies import examples

    strategy = examples(ops=list(case.ops), max_nodes=settings.max_nodes).map(lambda pair: Example(*pair))

    if case.test == "test_gradients":
        def test_gradients(example: Example) -> None:
            body(example)

        inner = test_gradients
    else:
        def test_state(example: Example) -> None:
            body(example)

        inner = test_state
    wrapped = given(example=strategy)(inner)
    for expression, point in reversed(corners_for(case.test, case.ops, case.variant)):
        wrapped = hypothesis_example(example=Example(parse_expression(expression), point))(wrapped)
    profile = hypothesis_settings.default
    suppressed = set(profile.suppress_health_check) | {
        HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large}
    # The explain phase lists lines of gradoracle itself, not of the engine under test.
    phases = [phase for phase in profile.phases if phase is not Phase.explain]
    wrapped = hypothesis_settings(profile, max_examples=max_examples, deadline=None, phases=phases,
                                  suppress_health_check=sorted(suppressed, key=lambda check: check.value))(wrapped)
    if config.getoption("hypothesis_seed", None) is None:
        digest = hashlib.sha256(f"{settings.seed}|{case.key}".encode()).digest()
        # NOTE: the public @seed decorator also turns the example database off,
        # which would stop stored failures from replaying first.  So the seed goes
        # into the private attribute that @seed sets and Hypothesis 6.170 reads
        # when it draws.  A release that stops reading it draws at random instead.
        wrapped._hypothesis_internal_use_seed = int.from_bytes(digest[:8], "big")
    # Every case shares the inner function's source, so the key separates their database entries.
    wrapped.hypothesis.inner_test._hypothesis_internal_add_digest = case.key.encode()
    return wrapped


class GeneratedTests(pytest.Module):
    """The collector of the generated tests; its module object is this file."""

    def _getobj(self) -> Any:
        import sys

        return sys.modules[__name__]

    def collect(self) -> Iterable[pytest.Item]:
        settings = self.config.stash[SETTINGS_KEY]
        clock = self.config.stash.setdefault(CLOCK_KEY, Clock(settings.time))
        identifiers = _unique_ids(settings.engines)
        items: list[pytest.Item] = []
        for spec, identifier in identifiers.items():
            try:
                engine = load_engine_for_run(spec, self.config.rootpath)
            except EngineLoadError as error:
                raise self.CollectError(f"--oracle-engine {spec!r}: {error}") from None
            cases = plan_cases(spec, identifier, engine, settings)
            if not cases:
                raise self.CollectError(
                    f"--oracle-engine {spec!r} supports none of the requested ops "
                    f"({', '.join(settings.ops or ())}); it supports {', '.join(sorted(engine.supported_ops))}")
            share = max(1, math.ceil(settings.max_examples / len(cases)))
            for case in cases:
                if case.test == "test_gradients":
                    body = _gradient_body(engine, clock)
                else:
                    body = _state_body(engine, clock, dict(STATE_CHECKS)[case.variant])
                function = _hypothesis_test(case, body, share, settings, self.config)
                items.append(pytest.Function.from_parent(self, name=case.name, callobj=function))
        return items
