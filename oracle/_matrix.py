"""Cross-engine differential campaigns: every example on every engine, one truth.

``fuzz`` draws examples for each engine separately.  ``fuzz_matrix`` draws
examples from the ops that all requested engines support, computes the
high-precision truth and the reference engine's result once per example, and
judges every engine against that one truth.  Each engine is judged with its
own dtype, so a float32 engine must stay inside what float32 can attain.

Besides the defects, the result carries a coverage table per engine and op:
how many examples that used the op the engine ran, and on how many of them it
diverged.  Shrinking and reproducer files work as in ``fuzz``: the first new
defect of a chunk is shrunk on its own engine only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence

from hypothesis.errors import HypothesisException

from ._campaign import CHUNK, Campaign, chunk_run, CampaignResult, Defect, EngineSummary, snippet_api
from ._check import check, resolve_engine
from ._errors import EngineLoadError, InvalidArgument
from ._ops import OP_NAMES
from ._signature import Signature, signature_of
from ._truth import compute_truth
from ._verdict import Verdict

if TYPE_CHECKING:
    from engines._result import Engine

__all__ = ["CoverageCell", "MatrixResult", "fuzz_matrix", "matrix_record", "coverage_markdown"]


@dataclass
class CoverageCell:
    """How often one engine ran one op in a matrix campaign."""

    #: Examples that used the op and were inside every op's domain.
    examples: int = 0
    #: Of those, the examples on which the engine diverged from the truth.
    divergences: int = 0


@dataclass
class MatrixResult(CampaignResult):
    """A ``CampaignResult`` plus the shared op set and the coverage table."""

    #: Ops the examples were drawn from: requested ops that every loaded engine supports.
    ops: tuple[str, ...] = ()
    #: Examples drawn; each one ran on every loaded engine.
    examples: int = 0
    #: Examples outside some op's domain, where nothing was compared.
    skipped: int = 0
    #: engine spec -> op name -> cell, for the ops in ``ops``.
    coverage: dict[str, dict[str, CoverageCell]] = field(default_factory=dict)
    #: engine spec -> every op the engine supports, shared or not.
    supported: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass
class _Loaded:
    name: str
    engine: "Engine"
    summary: EngineSummary


class MatrixCampaign(Campaign):
    """A matrix campaign; see ``fuzz_matrix`` for the arguments."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.result = MatrixResult(seed=self.seed)
        self._loaded: list[_Loaded] = []

    def run(self) -> MatrixResult:
        started = time.monotonic()
        deadline = None if self.time_budget is None else started + self.time_budget
        result = self.result
        assert isinstance(result, MatrixResult)
        self._load_all()
        result.ops = self._shared_ops()
        for loaded in self._loaded:
            loaded.summary.ops = result.ops
            result.coverage[loaded.name] = {name: CoverageCell() for name in result.ops}
        try:
            self._run_chunks(deadline)
        except KeyboardInterrupt:
            result.interrupted = True
        result.seconds = time.monotonic() - started
        result.defects = list(self._known)
        result.informational = list(self._info.values())
        return result

    # --- setup --------------------------------------------------------------

    def _load_all(self) -> None:
        for spec in self.engines:
            name = spec if isinstance(spec, str) else getattr(spec, "name", type(spec).__name__)
            try:
                engine = resolve_engine(spec)
            except EngineLoadError as error:
                self.result.engines.append(EngineSummary(name, None, "?", (), load_error=str(error)))
                continue
            summary = EngineSummary(name, getattr(engine, "version", None), getattr(engine, "dtype", "float64"), ())
            self.result.engines.append(summary)
            self._snippet_apis[name] = snippet_api(engine)
            self._loaded.append(_Loaded(name, engine, summary))
            self.result.supported[name] = tuple(op for op in OP_NAMES if op in engine.supported_ops)
        if not self._loaded:
            errors = "; ".join(summary.load_error or "" for summary in self.result.engines)
            raise EngineLoadError(f"no engine could be loaded: {errors}")

    def _shared_ops(self) -> tuple[str, ...]:
        shared = set(self.ops if self.ops is not None else OP_NAMES)
        for loaded in self._loaded:
            shared &= set(loaded.engine.supported_ops)
        if not shared:
            supported = "; ".join(f"{item.name}: {','.join(sorted(item.engine.supported_ops))}" for item in self._loaded)
            raise InvalidArgument(f"the engines share no requested op, so no example can run on all of them "
                                  f"({supported}); drop an engine or widen --ops")
        return tuple(name for name in OP_NAMES if name in shared)

    # --- examples -----------------------------------------------------------

    def _run_chunks(self, deadline: Optional[float]) -> None:
        from strategies import examples

        result = self.result
        assert isinstance(result, MatrixResult)
        strategy = examples(ops=list(result.ops), max_nodes=self.max_nodes)
        chunk_index = 0
        while result.examples < self.max_examples:
            if deadline is not None and time.monotonic() >= deadline:
                break
            size = min(CHUNK, self.max_examples - result.examples)
            self._run_matrix_chunk(strategy, size, self.seed * 1_000_003 + chunk_index, deadline)
            chunk_index += 1
        for loaded in self._loaded:
            loaded.summary.examples = result.examples
            loaded.summary.skipped = result.skipped

    def _run_matrix_chunk(self, strategy: Any, size: int, chunk_seed: int, deadline: Optional[float]) -> None:
        target: list[tuple[Signature, _Loaded]] = []

        @chunk_run(strategy, size, chunk_seed)
        def examine(example: tuple) -> None:
            graph, point = example
            if target:
                verdict = self._reproduce(target[0], graph, point)
            elif deadline is not None and time.monotonic() >= deadline:
                return
            else:
                verdict = self._examine_all(graph, point, target)
            # One raise statement, because Hypothesis distinguishes failures by the line that raises them.
            if verdict is not None:
                raise _MatrixShrinkTarget(verdict)

        try:
            examine()
        except _MatrixShrinkTarget as found:
            if target:
                defect = self._find(target[0][0])
                if defect is not None:
                    defect.verdict = found.verdict
                    defect.shrunk = True
                    self._write(defect)
        except HypothesisException:
            pass  # A flaky engine must not end the campaign, and its defect is already on disk.

    def _reproduce(self, target: tuple[Signature, _Loaded], graph: Any, point: Any) -> Optional[Verdict]:
        """Check a shrink candidate on the target's engine only, and return its verdict if the defect shows."""
        signature, loaded = target
        verdict = check(loaded.engine, graph, point, state=self.state_checks)
        found = signature_of(verdict)
        if found is not None and (found == signature or signature.covers(found)):
            return verdict
        return None

    def _examine_all(self, graph: Any, point: Any, target: list[tuple[Signature, _Loaded]]) -> Optional[Verdict]:
        """Run one new example on every engine; return the verdict that became the chunk's shrink target."""
        from engines import ReferenceEngine

        result = self.result
        assert isinstance(result, MatrixResult)
        result.examples += 1
        truth = compute_truth(graph, point)
        if truth.status == "domain":
            result.skipped += 1
        reference = ReferenceEngine().run(graph, point)
        ops = graph.ops_used()
        new_target: Optional[Verdict] = None
        for loaded in self._loaded:
            if self.on_progress is not None:
                self.on_progress(loaded.name, 1)
            started = time.monotonic()
            verdict = check(loaded.engine, graph, point, truth=truth, reference=reference, state=self.state_checks)
            loaded.summary.seconds += time.monotonic() - started
            if verdict.skipped:
                continue
            cells = result.coverage[loaded.name]
            for name in ops:
                cells[name].examples += 1
                cells[name].divergences += 0 if verdict.ok else 1
            if verdict.ok:
                self._note_informational(loaded.name, verdict)
                continue
            signature = signature_of(verdict)
            assert signature is not None
            if self._record(signature, verdict) and not target:
                target.append((signature, loaded))
                new_target = verdict
        return new_target

    def _record(self, signature: Signature, verdict: Verdict) -> bool:
        """Count a divergence under its defect and return True when the defect is new."""
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
        return True


class _MatrixShrinkTarget(Exception):
    """Raised inside the Hypothesis test to mark the defect being shrunk."""

    def __init__(self, verdict: Verdict) -> None:
        self.verdict = verdict
        super().__init__("shrink target")


def fuzz_matrix(
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
) -> MatrixResult:
    """Run every drawn example on all ``engines`` (specs or Engine objects) against one truth.

    ``max_examples`` counts examples, each run on every engine; ``time_budget``
    (seconds) bounds the whole campaign.  Engines that fail to load are listed
    with their error and left out.  Raises ``EngineLoadError`` when no engine
    loads and ``InvalidArgument`` when the loaded engines share no requested op.
    """
    campaign = MatrixCampaign(engines, ops, max_examples, time_budget, seed, report_dir, state_checks,
                              max_nodes, on_progress, on_defect)
    return campaign.run()


def matrix_record(result: MatrixResult, conventions: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """Return the campaign record of ``result`` with the coverage table and, if given, the convention table.

    The record keeps the ``gradoracle.report/1`` fields, so every renderer of
    campaign records reads it; ``matrix`` and ``conventions`` are extra keys.
    """
    from ._report import campaign_record

    record = campaign_record(result)
    record["matrix"] = {
        "ops": list(result.ops),
        "examples": result.examples,
        "skipped_outside_domain": result.skipped,
        "supported": {engine: list(ops) for engine, ops in result.supported.items()},
        "coverage": {
            engine: {name: {"examples": cell.examples, "divergences": cell.divergences} for name, cell in cells.items()}
            for engine, cells in result.coverage.items()
        },
    }
    if conventions is not None:
        record["conventions"] = conventions
    return record


def coverage_markdown(record: dict[str, Any]) -> str:
    """Render the coverage table of a matrix record as Markdown: one row per op, one column per engine."""
    matrix = record.get("matrix")
    if not matrix:
        return ""
    engines = [engine["spec"] for engine in record["engines"] if not engine["load_error"]]
    lines = [
        "## Coverage",
        "",
        f"{matrix['examples']} examples drawn from the ops all engines support, "
        f"{matrix['skipped_outside_domain']} of them outside an op's domain. "
        "Each cell: examples that used the op / examples on which the engine diverged.",
        "",
        "| op | " + " | ".join(engines) + " |",
        "|---|" + "---|" * len(engines),
    ]
    for name in matrix["ops"]:
        cells = []
        for engine in engines:
            cell = matrix["coverage"].get(engine, {}).get(name)
            cells.append("-" if cell is None else f"{cell['examples']} / {cell['divergences']}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
