"""The CI gate: replay the conformance corpus, fuzz for a while, compare with a baseline.

A gate run has two phases.  Corpus replay checks the engine on every vector
it supports.  Fuzzing runs a campaign within a time budget.  Each divergence
gets a signature (``oracle._signature``).  A signature that an entry of the
baseline covers is *known*, any other is *new*, and baseline entries that
match nothing in the run are *fixed*.  The gate fails only on new divergences.

A baseline is a JSON file::

    {"format": "gradoracle.baseline/1",
     "accepted": [{"signature": "wrong-gradient:tanh/backward/inaccurate", "reason": "..."}]}

A signature is ``kind:detail`` for divergences localised to one op rule, or
``kind:detail:op+op`` otherwise.  An unlocalised entry also covers the same
kind and detail found in a larger set of ops.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional

from ._check import check, resolve_engine
from ._errors import InvalidArgument
from ._signature import Signature, signature_of
from ._truth import compute_truth
from ._vectors import Corpus, Vector, read_corpus
from ._verdict import Verdict

if TYPE_CHECKING:
    from ._campaign import CampaignResult

__all__ = [
    "BASELINE_FORMAT",
    "BaselineEntry",
    "GateFinding",
    "VectorOutcome",
    "GateResult",
    "read_baseline",
    "write_baseline",
    "baseline_from_run",
    "run_gate",
]

BASELINE_FORMAT = "gradoracle.baseline/1"
#: Reason written for divergences accepted by ``--update-baseline``.
PLACEHOLDER_REASON = "accepted with --update-baseline; replace this with why the divergence is acceptable"
#: Stands in for an unlimited example count when fuzzing is bounded by time alone.
UNLIMITED_EXAMPLES = 10**9


@dataclass(frozen=True)
class BaselineEntry:
    """One accepted divergence: its signature key and the reason it is accepted."""

    signature: str
    reason: str
    example: Optional[str] = None

    @property
    def parts(self) -> tuple[str, str, frozenset[str], bool]:
        """Kind, detail, op set and whether the signature is localised, read from the key."""
        pieces = self.signature.split(":")
        kind = pieces[0]
        detail = "" if len(pieces) < 2 or pieces[1] == "any" else pieces[1]
        ops = frozenset(pieces[2].split("+")) if len(pieces) > 2 else frozenset()
        return kind, detail, ops, len(pieces) == 2

    def covers(self, signature: Signature) -> bool:
        """True when this entry accepts ``signature`` (the same rule as ``Signature.covers``)."""
        kind, detail, ops, localised = self.parts
        if (kind, detail, localised) != (signature.kind, signature.detail, signature.localised):
            return False
        return localised or ops <= signature.ops


def read_baseline(path: Path) -> list[BaselineEntry]:
    """Read a baseline file; any problem raises ``InvalidArgument`` with one line naming the file."""
    if not path.is_file():
        raise InvalidArgument(f"baseline file={str(path)!r} not found; create it with --update-baseline")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidArgument(f"baseline file={str(path)!r} is not readable JSON: {error}") from None
    if not isinstance(document, dict) or document.get("format") != BASELINE_FORMAT:
        raise InvalidArgument(f"baseline file={str(path)!r} is not a {BASELINE_FORMAT} document; "
                              f"write one with --update-baseline")
    accepted = document.get("accepted")
    if not isinstance(accepted, list):
        raise InvalidArgument(f"baseline file={str(path)!r}: 'accepted' must be a list of "
                              f"{{\"signature\", \"reason\"}} objects")
    entries = []
    for position, item in enumerate(accepted):
        if not isinstance(item, dict) or not isinstance(item.get("signature"), str) or not item["signature"]:
            raise InvalidArgument(f"baseline file={str(path)!r}: accepted[{position}] needs a non-empty "
                                  f"'signature' string")
        if not isinstance(item.get("reason"), str) or not item["reason"].strip():
            raise InvalidArgument(f"baseline file={str(path)!r}: accepted[{position}] "
                                  f"({item['signature']}) needs a non-empty 'reason' string")
        example = item.get("example")
        entries.append(BaselineEntry(item["signature"], item["reason"], example if isinstance(example, str) else None))
    return entries


def write_baseline(path: Path, entries: list[BaselineEntry], engine: str) -> None:
    """Write ``entries`` as a baseline file for ``engine``."""
    document = {
        "format": BASELINE_FORMAT,
        "engine": engine,
        "accepted": [
            {"signature": entry.signature, "reason": entry.reason, **({"example": entry.example} if entry.example else {})}
            for entry in entries
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


@dataclass
class GateFinding:
    """One distinct divergence in one phase, with its smallest example."""

    signature: Signature
    #: "corpus" or "fuzzing".
    phase: str
    verdict: Verdict
    #: "new" or "known".
    status: str
    #: The baseline's reason, for known divergences.
    reason: Optional[str] = None
    #: Vector ids that show this divergence (corpus phase).
    vectors: list[str] = field(default_factory=list)
    #: The vector file or the fuzzing reproducer file.
    reproducer: Optional[Path] = None
    #: A Python script reproducing the example, for micrograd-style engines.
    snippet: Optional[str] = None
    count: int = 1


@dataclass
class VectorOutcome:
    """The result of one vector: "pass", "new", "known" or "skipped"."""

    vector: Vector
    status: str
    verdict: Optional[Verdict] = None
    finding: Optional[GateFinding] = None
    #: Why the vector was skipped, or the baseline reason of a known divergence.
    message: Optional[str] = None
    seconds: float = 0.0


@dataclass
class GateResult:
    engine: str
    corpus: Corpus
    vectors: list[VectorOutcome]
    corpus_findings: list[GateFinding]
    campaign: Optional["CampaignResult"]
    fuzz_findings: list[GateFinding]
    fixed: list[BaselineEntry]
    time_budget: float
    seed: int
    corpus_seconds: float = 0.0

    @property
    def findings(self) -> list[GateFinding]:
        return self.corpus_findings + self.fuzz_findings

    @property
    def new(self) -> list[GateFinding]:
        return [finding for finding in self.findings if finding.status == "new"]

    @property
    def known(self) -> list[GateFinding]:
        return [finding for finding in self.findings if finding.status == "known"]

    @property
    def exit_code(self) -> int:
        """1 when a divergence is new, else 0."""
        return 1 if self.new else 0


def _classify(signature: Signature, baseline: list[BaselineEntry]) -> tuple[str, Optional[BaselineEntry]]:
    for entry in baseline:
        if entry.covers(signature):
            return "known", entry
    return "new", None


def _vector_snippet(engine: Any, verdict: Verdict) -> Optional[str]:
    from ._campaign import snippet_api
    from ._snippet import python_snippet

    api = snippet_api(engine)
    if api is None:
        return None
    return python_snippet(verdict.truth.graph, verdict.truth.point, api)


def _replay_corpus(engine: Any, corpus: Corpus, baseline: list[BaselineEntry], used: set[int],
                   on_vector: Optional[Callable[[VectorOutcome], None]]) -> tuple[list[VectorOutcome], list[GateFinding]]:
    from engines import ReferenceEngine

    reference_engine = ReferenceEngine()
    outcomes: list[VectorOutcome] = []
    findings: dict[str, GateFinding] = {}
    supported = frozenset(engine.supported_ops)
    for vector in corpus.vectors:
        started = time.monotonic()
        missing = sorted(vector.graph.ops_used() - supported)
        if missing:
            outcome = VectorOutcome(vector, "skipped", message=f"the engine does not support {', '.join(missing)}")
        else:
            truth = compute_truth(vector.graph, vector.point)
            reference = reference_engine.run(vector.graph, vector.point)
            verdict = check(engine, vector.graph, vector.point, truth=truth, reference=reference, state=True)
            outcome = VectorOutcome(vector, "pass", verdict)
            signature = signature_of(verdict)
            if signature is not None:
                status, entry = _classify(signature, baseline)
                if entry is not None:
                    used.add(id(entry))
                finding = findings.get(signature.key)
                if finding is None:
                    finding = GateFinding(signature, "corpus", verdict, status, None if entry is None else entry.reason,
                                          reproducer=vector.path, snippet=_vector_snippet(engine, verdict))
                    findings[signature.key] = finding
                else:
                    finding.count += 1
                finding.vectors.append(vector.id)
                outcome.status, outcome.finding, outcome.message = status, finding, finding.reason
        outcome.seconds = time.monotonic() - started
        outcomes.append(outcome)
        if on_vector is not None:
            on_vector(outcome)
    return outcomes, list(findings.values())


def _fuzz(engine: Any, time_budget: float, seed: int, report_dir: Optional[Path], baseline: list[BaselineEntry],
          used: set[int]) -> tuple[Optional["CampaignResult"], list[GateFinding]]:
    from ._campaign import fuzz

    if time_budget <= 0:
        return None, []
    campaign = fuzz([engine], max_examples=UNLIMITED_EXAMPLES, time_budget=time_budget, seed=seed,
                    report_dir=report_dir)
    findings = []
    for defect in campaign.defects:
        status, entry = _classify(defect.signature, baseline)
        if entry is not None:
            used.add(id(entry))
        findings.append(GateFinding(defect.signature, "fuzzing", defect.verdict, status,
                                    None if entry is None else entry.reason, reproducer=defect.path,
                                    snippet=defect.snippet, count=defect.count))
    return campaign, findings


def run_gate(engine: Any, *, corpus_dir: Path, time_budget: float = 60.0, seed: int = 0,
             baseline: Optional[list[BaselineEntry]] = None, report_dir: Optional[Path] = None,
             on_vector: Optional[Callable[[VectorOutcome], None]] = None) -> GateResult:
    """Replay the corpus in ``corpus_dir`` on ``engine`` (a spec or an Engine), then fuzz it for ``time_budget`` seconds.

    A ``time_budget`` of 0 skips fuzzing.  Fuzzing reproducers are written
    to ``report_dir`` when it is given.  Raises ``InvalidArgument`` for a
    missing or malformed corpus and ``EngineLoadError`` for a bad spec.
    """
    if time_budget < 0:
        raise InvalidArgument(f"time_budget={time_budget!r} must be 0 (no fuzzing) or a positive number of seconds")
    corpus = read_corpus(corpus_dir)
    resolved = resolve_engine(engine)
    name = engine if isinstance(engine, str) else getattr(resolved, "name", type(resolved).__name__)
    baseline = list(baseline or [])
    used: set[int] = set()
    try:
        started = time.monotonic()
        outcomes, corpus_findings = _replay_corpus(resolved, corpus, baseline, used, on_vector)
        corpus_seconds = time.monotonic() - started
        campaign, fuzz_findings = _fuzz(resolved, time_budget, seed, report_dir, baseline, used)
    finally:
        if isinstance(engine, str) and hasattr(resolved, "close"):
            resolved.close()  # a process engine started here ends here
    fixed = [entry for entry in baseline if id(entry) not in used]
    return GateResult(name, corpus, outcomes, corpus_findings, campaign, fuzz_findings, fixed, time_budget, seed,
                      corpus_seconds)


def baseline_from_run(result: GateResult, previous: list[BaselineEntry]) -> list[BaselineEntry]:
    """Accept every divergence of ``result``: one entry per signature, keeping the reasons of ``previous``."""
    entries: dict[str, BaselineEntry] = {}
    for finding in result.findings:
        key = finding.signature.key
        if key in entries:
            continue
        _, entry = _classify(finding.signature, previous)
        example = f"{_short(finding.verdict.truth.graph.expression())} at {_point_text(finding.verdict)}"
        if entry is not None:
            entries[key] = BaselineEntry(key, entry.reason, entry.example or example)
        else:
            entries[key] = BaselineEntry(key, PLACEHOLDER_REASON, example)
    return list(entries.values())


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _point_text(verdict: Verdict) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in verdict.truth.point.items())


def reproducer_text(finding: GateFinding, engine_spec: str) -> str:
    """Return shell commands and the request JSON that reproduce ``finding``'s example."""
    import shlex

    from ._graph import point_to_json

    truth = finding.verdict.truth
    graph, point = truth.graph, truth.point
    lines = []
    expression = graph.expression()
    if len(expression) <= 300:
        at = ",".join(f"{name}={float(value).hex()}" for name, value in point.items())
        lines.append(f"gradoracle check {shlex.quote(expression)} --at {at} --engine {shlex.quote(engine_spec)}")
    if finding.reproducer is not None:
        lines.append(f"gradoracle replay {shlex.quote(str(finding.reproducer))} --engine {shlex.quote(engine_spec)}")
    request = json.dumps({"graph": graph.to_json(), "point": point_to_json(point)})
    if len(request) <= 2000:
        lines += ["", "request sent to a process engine (graph and point):", request]
    return "\n".join(lines)
