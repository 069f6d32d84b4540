"""Fuzzing campaigns: draw examples, judge every engine, shrink each new defect.

One campaign runs each engine on examples drawn from the ops it supports, in
chunks of Hypothesis runs with seeds derived from the campaign seed.  Within
a chunk the first divergence with a new signature becomes the shrink target:
only it makes the test fail, so Hypothesis shrinks that defect and not a
different one.  Repeats of known defects are counted, other new ones are
written to disk and shrunk when a later chunk meets them again.

Every distinct divergence is written as a reproducer file the moment it is
seen, and rewritten when its smallest example is known, so an interrupted
campaign loses nothing it found.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import HypothesisException

from ._check import check, resolve_engine
from ._records import verdict_record, write_reproducer
from ._signature import Signature, signature_of
from ._snippet import ValueApi, python_snippet
from ._truth import compute_truth
from ._verdict import Verdict

if TYPE_CHECKING:
    from engines._result import Engine

__all__ = ["Campaign", "CampaignResult", "Defect", "EngineSummary", "fuzz"]

#: Examples per Hypothesis run; each run shrinks at most one new defect.
CHUNK = 100
#: An engine that times out this many times in a row is given up on: a
#: hung process engine would otherwise cost its time-out on every example.
MAX_TIMEOUTS = 3


@dataclass
class Defect:
    """One distinct divergence (or informational finding) and its smallest example."""

    signature: Signature
    verdict: Verdict
    count: int = 1
    shrunk: bool = False
    path: Optional[Path] = None
    #: A runnable script for micrograd-style engines.
    snippet: Optional[str] = None

    @property
    def size(self) -> int:
        return len(self.verdict.truth.graph.nodes)


@dataclass
class EngineSummary:
    spec: str
    version: Optional[str]
    dtype: str
    ops: tuple[str, ...]
    examples: int = 0
    #: One-op probe examples run before the random ones (see ``_probes``).
    probes: int = 0
    skipped: int = 0
    seconds: float = 0.0
    load_error: Optional[str] = None


@dataclass
class CampaignResult:
    seed: int
    engines: list[EngineSummary] = field(default_factory=list)
    defects: list[Defect] = field(default_factory=list)
    informational: list[Defect] = field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0

    @property
    def divergence_count(self) -> int:
        return len(self.defects)


def chunk_run(strategy: Any, size: int, chunk_seed: int) -> Callable[[Callable[..., None]], Callable[[], None]]:
    """Return the decorator that makes ``examine(example)`` one seeded Hypothesis run.

    No example database (each chunk has its own seed), no deadline, and no
    health checks: engines under test may be slow or reject many points.
    """
    def decorate(examine: Callable[..., None]) -> Callable[[], None]:
        run = given(strategy)(examine)
        run = settings(
            max_examples=size,
            deadline=None,
            database=None,
            derandomize=False,
            phases=(Phase.generate, Phase.shrink),
            suppress_health_check=list(HealthCheck),
            report_multiple_bugs=False,
            print_blob=False,
        )(run)
        return seed(chunk_seed)(run)

    return decorate


class _ShrinkTarget(Exception):
    """Raised inside the Hypothesis test to mark the defect being shrunk."""

    def __init__(self, verdict: Verdict) -> None:
        self.verdict = verdict
        super().__init__(verdict.kind)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:120] or "engine"


@dataclass
class Campaign:
    """A fuzzing campaign over several engines; see ``fuzz`` for the arguments."""

    engines: Sequence[Any]
    ops: Optional[Sequence[str]] = None
    max_examples: int = 200
    time_budget: Optional[float] = None
    seed: int = 0
    report_dir: Optional[Path] = None
    state_checks: bool = True
    max_nodes: int = 8
    on_progress: Optional[Callable[[str, int], None]] = None
    on_defect: Optional[Callable[[Defect], None]] = None
    result: CampaignResult = field(init=False)

    def __post_init__(self) -> None:
        self.result = CampaignResult(seed=self.seed)
        self._known: list[Defect] = []
        self._info: dict[tuple[str, str, str], Defect] = {}
        self._snippet_apis: dict[str, Any] = {}
        self._engine_started: Optional[float] = None
        self._timeouts = 0

    # --- public -------------------------------------------------------------

    def run(self) -> CampaignResult:
        started = time.monotonic()
        deadline = None if self.time_budget is None else started + self.time_budget
        share = None if deadline is None else self.time_budget / max(1, len(self.engines))
        position = 0
        try:
            for position, spec in enumerate(self.engines):
                engine_deadline = deadline if share is None else min(deadline, time.monotonic() + share)
                self._run_engine(spec, engine_deadline)
        except KeyboardInterrupt:
            self.result.interrupted = True
            if self.result.engines and self._engine_started is not None:
                self.result.engines[-1].seconds = time.monotonic() - self._engine_started
            for spec in self.engines[position + 1:]:
                name = spec if isinstance(spec, str) else getattr(spec, "name", type(spec).__name__)
                self.result.engines.append(EngineSummary(name, None, "?", (),
                                                         load_error="not run: the campaign was interrupted"))
        self.result.seconds = time.monotonic() - started
        self.result.defects = [d for d in self._known]
        self.result.informational = list(self._info.values())
        return self.result

    # --- one engine ---------------------------------------------------------

    def _run_engine(self, spec: Any, deadline: Optional[float]) -> None:
        from strategies import examples
        from oracle._errors import EngineLoadError

        name = spec if isinstance(spec, str) else getattr(spec, "name", type(spec).__name__)
        try:
            engine = resolve_engine(spec)
        except EngineLoadError as error:
            self.result.engines.append(EngineSummary(name, None, "?", (), load_error=str(error)))
            return
        ops = tuple(sorted(set(engine.supported_ops) & set(self.ops if self.ops is not None else engine.supported_ops)))
        summary = EngineSummary(name, getattr(engine, "version", None), getattr(engine, "dtype", "float64"), ops)
        self.result.engines.append(summary)
        self._snippet_apis[name] = snippet_api(engine)
        if not ops:
            summary.load_error = "none of the requested ops is supported by this engine"
            return
        started = self._engine_started = time.monotonic()
        self._timeouts = 0
        self._run_probes(engine, name, ops, summary)
        chunk_index = 0
        strategy = examples(ops=list(ops), max_nodes=self.max_nodes)
        while summary.examples < self.max_examples:
            if deadline is not None and time.monotonic() >= deadline:
                break
            if self._timeouts >= MAX_TIMEOUTS:
                summary.load_error = f"stopped after {MAX_TIMEOUTS} time-outs in a row; the engine seems to hang"
                break
            size = min(CHUNK, self.max_examples - summary.examples)
            self._run_chunk(engine, name, strategy, size, self.seed * 1_000_003 + chunk_index, deadline, summary)
            chunk_index += 1
        summary.seconds = time.monotonic() - started

    def _run_probes(self, engine: "Engine", name: str, ops: Sequence[str], summary: EngineSummary) -> None:
        """Run the one-op probes; their divergences are already minimal."""
        from ._probes import probe_examples

        state_checked: set[str] = set()
        for graph, point in probe_examples(ops):
            op = graph.nodes[0].op
            state = self.state_checks and op not in state_checked and graph.nodes[0].args[0] == "x"
            state_checked.add(op)
            truth = compute_truth(graph, point, finite_differences=False)
            verdict = check(engine, graph, point, truth=truth, state=state)
            summary.probes += 1
            if verdict.skipped:
                continue
            if verdict.ok:
                self._note_informational(name, verdict)
                continue
            signature = signature_of(verdict)
            assert signature is not None
            known = self._find(signature)
            if known is not None:
                known.count += 1
                continue
            defect = Defect(signature, verdict, shrunk=True)
            self._known.append(defect)
            self._write(defect)
            if self.on_defect is not None:
                self.on_defect(defect)

    def _run_chunk(self, engine: "Engine", name: str, strategy: Any, size: int, chunk_seed: int,
                   deadline: Optional[float], summary: EngineSummary) -> None:
        target: list[Signature] = []

        @chunk_run(strategy, size, chunk_seed)
        def examine(example: tuple) -> None:
            graph, point = example
            shrinking = bool(target)
            if not shrinking:
                if deadline is not None and time.monotonic() >= deadline:
                    return
                summary.examples += 1
                if self.on_progress is not None:
                    self.on_progress(name, 1)
            if self._timeouts >= MAX_TIMEOUTS and not shrinking:
                return
            verdict = check(engine, graph, point, truth=compute_truth(graph, point, finite_differences=False),
                            state=self.state_checks)
            failure = verdict.result.failure
            self._timeouts = self._timeouts + 1 if failure is not None and failure.phase == "timeout" else 0
            if verdict.skipped:
                if not shrinking:
                    summary.skipped += 1
                return
            if verdict.ok:
                if not shrinking:
                    self._note_informational(name, verdict)
                return
            signature = signature_of(verdict)
            assert signature is not None
            # One raise statement: Hypothesis distinguishes failures by where they are raised.
            if self._is_target(signature, target, verdict):
                raise _ShrinkTarget(verdict)

        try:
            examine()
        except _ShrinkTarget as found:
            defect = self._find(target[0]) if target else None
            if defect is not None:
                defect.verdict = found.verdict
                defect.shrunk = True
                self._write(defect)
        except HypothesisException:
            pass  # a flaky engine must not end the campaign; its defect is already on disk

    # --- bookkeeping --------------------------------------------------------

    def _is_target(self, signature: Signature, target: list[Signature], verdict: Verdict) -> bool:
        """Record a divergence; True when it is the defect this chunk shrinks."""
        if target:
            return signature == target[0] or target[0].covers(signature)
        known = self._find(signature)
        if known is not None:
            known.count += 1
            if known.size > len(verdict.truth.graph.nodes):
                known.verdict = verdict
                self._write(known)
            return False
        defect = Defect(signature, verdict)
        self._known.append(defect)
        self._write(defect)
        if self.on_defect is not None:
            self.on_defect(defect)
        target.append(signature)
        return True

    def _find(self, signature: Optional[Signature]) -> Optional[Defect]:
        if signature is None:
            return None
        for defect in self._known:
            if defect.signature == signature or defect.signature.covers(signature):
                return defect
        return None

    def _note_informational(self, name: str, verdict: Verdict) -> None:
        for finding in verdict.informational:
            ops = "+".join(sorted(verdict.truth.graph.ops_used()))
            key = (name, finding.kind, ops if finding.kind != "convention" else _kink_ops(verdict))
            entry = self._info.get(key)
            if entry is None:
                signature = Signature(name, finding.kind, key[2])
                self._info[key] = Defect(signature, verdict, shrunk=False)
            else:
                entry.count += 1
                if entry.size > len(verdict.truth.graph.nodes):
                    entry.verdict = verdict

    def _write(self, defect: Defect) -> None:
        api = self._snippet_apis.get(defect.signature.engine)
        if api is not None:
            verdict = defect.verdict
            defect.snippet = python_snippet(verdict.truth.graph, verdict.truth.point, api, _truth_lines(verdict),
                                            state_check=_state_check(defect))
        if self.report_dir is None:
            return
        record = verdict_record(defect.verdict)
        record.update({"signature": defect.signature.key, "count": defect.count, "shrunk": defect.shrunk,
                       "snippet": defect.snippet})
        name = f"{_slug(defect.signature.engine)}--{_slug(defect.signature.key)}"
        defect.path = write_reproducer(self.report_dir, name, record)


def snippet_api(engine: Any) -> Optional[ValueApi]:
    """Return the spelling of ``engine``'s class for snippets, if it is micrograd-style."""
    from engines._reference_engine import ReferenceEngine

    if type(engine) is ReferenceEngine:
        return ValueApi()
    api = getattr(engine, "api", None)
    cls = getattr(engine, "cls", None)
    if api is None or cls is None or not hasattr(api, "ops"):
        return None
    methods = {name: form.name for name, form in api.ops.items() if getattr(form, "kind", "") == "method"}
    grad = api.grad.name + ("()" if api.grad.kind == "method" else "")
    data = api.data.name + ("()" if api.data.kind == "method" else "")
    return ValueApi(cls.__module__, cls.__qualname__, api.backward, grad, data, methods, _spec_folder(engine))


def _spec_folder(engine: Any) -> Optional[str]:
    """Return the folder of a ``module:Class@DIR`` spec, so the snippet imports from there."""
    from engines._spec import parse_spec
    from oracle._errors import EngineLoadError

    try:
        return parse_spec(getattr(engine, "name", ""))[2]
    except EngineLoadError:
        return None


def _state_check(defect: Defect) -> Optional[str]:
    """Return the state check a defect came from ("backward twice", ...), if any."""
    if defect.signature.kind != "state-across-calls":
        return None
    return defect.signature.detail


def _truth_lines(verdict: Verdict) -> list[str]:
    from mpmath import nstr

    truth = verdict.truth
    lines = [] if truth.value is None else [f"value {nstr(truth.value, 17)}"]
    for name, entry in truth.gradient.items():
        lo, hi = entry.admissible
        shown = nstr(entry.value, 17) if lo == hi else f"any value in [{nstr(lo, 17)}, {nstr(hi, 17)}]"
        lines.append(f"d/d{name} {shown if entry.defined else 'undefined'}")
    return lines


def _kink_ops(verdict: Verdict) -> str:
    ops = {verdict.truth.graph.nodes[index].op for index in verdict.truth.kinks}
    return "+".join(sorted(ops)) or "kink"


def fuzz(
    engines: Sequence[Any],
    *,
    ops: Optional[Sequence[str]] = None,
    max_examples: int = 200,
    time_budget: Optional[float] = None,
    seed: int = 0,
    report_dir: Optional[Path] = None,
    state_checks: bool = True,
    max_nodes: int = 8,
    on_progress: Optional[Callable[[str, int], None]] = None,
    on_defect: Optional[Callable[[Defect], None]] = None,
) -> CampaignResult:
    """Fuzz every engine (specs or Engine objects) and return the campaign result.

    ``max_examples`` is per engine; ``time_budget`` (seconds) is shared by
    all engines.  Reproducers go to ``report_dir`` as they are found.
    """
    campaign = Campaign(engines, ops, max_examples, time_budget, seed, report_dir, state_checks,
                        max_nodes, on_progress, on_defect)
    return campaign.run()
