"""Verdicts: compare one engine's result with the truth and name what is wrong.

Divergences are failures; informational findings are kept apart and never
fail a check by default.  Every finding carries the engine's number and the
truth, so a report can show both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

from ._attainable import FORMATS
from ._truth import Truth

if TYPE_CHECKING:
    from engines._result import EngineResult

    from ._localise import Blame

__all__ = ["Finding", "Verdict", "DIVERGENCE_KINDS", "INFORMATIONAL_KINDS", "judge"]

#: Divergence kinds, most severe first: the first present names a verdict.
DIVERGENCE_KINDS = (
    "crash",
    "timeout",
    "protocol-error",
    "state-across-calls",
    "wrong-value",
    "non-finite",
    "kink-outside-range",
    "missing-gradient",
    "wrong-gradient",
)
#: Findings that explain a difference without blaming the engine.
INFORMATIONAL_KINDS = ("convention", "ad-inherent", "float64-inherent", "float32-inherent")

#: Reason given when no engine of the format could get a number right.
UNREACHABLE = "no {dtype} evaluation can pin this number down (an intermediate overflows, or its operands straddle a pole)"
REFERENCE_FAILS = "the float64 reference engine fails the same way here"


def inherent_kind(dtype: str) -> str:
    """Return the informational kind for results inherent to a float format ("float64-inherent")."""
    return f"{dtype}-inherent"


@dataclass
class Finding:
    """One divergence or informational finding about one engine on one example."""

    kind: str
    #: "value", an input name (gradient entry), "run" or a state check name.
    target: str
    message: str
    engine_value: Optional[float] = None
    #: The true value as text (high precision), or a range "[lo, hi]".
    truth: Optional[str] = None
    #: |engine - truth| / |truth| where both are finite numbers.
    relative_error: Optional[float] = None
    #: The half-width the engine had to stay within.
    tolerance: Optional[float] = None


@dataclass
class Verdict:
    """The plain record of checking one engine on one graph and point."""

    engine: str
    dtype: str
    truth: Truth
    result: "EngineResult"
    divergences: list[Finding] = field(default_factory=list)
    informational: list[Finding] = field(default_factory=list)
    blame: Optional["Blame"] = None
    #: Set when the point is outside an op's domain: nothing was compared.
    skipped: Optional[str] = None

    @property
    def ok(self) -> bool:
        """True when no divergence was found (informational findings allowed)."""
        return not self.divergences

    @property
    def kind(self) -> str:
        """Return the most severe divergence kind, else the first informational kind, else "agree"."""
        for kind in DIVERGENCE_KINDS:
            if any(finding.kind == kind for finding in self.divergences):
                return kind
        if self.informational:
            return self.informational[0].kind
        return "skipped" if self.skipped else "agree"

    @property
    def kinds(self) -> set[str]:
        return {finding.kind for finding in self.divergences + self.informational}


def _text(value: Any) -> str:
    from mpmath import nstr

    try:
        return str(nstr(value, 20))
    except (TypeError, ValueError):
        return str(value)


def _is_finite(value: Optional[float]) -> bool:
    return value is not None and math.isfinite(value)


def _surely_inside(engine: Optional[float], centre: Any, relative: float) -> bool:
    """Return True when ``engine`` is within ``relative`` * |centre| of the centre.

    Every attainable ball is at least that wide, because the last rounding
    alone contributes it.  So such a result agrees without computing the
    ball, and most results of a correct engine take this shortcut.
    """
    if engine is None or not math.isfinite(engine):
        return False
    if engine == centre:
        return True  # every ball contains its centre, 0 included
    try:
        exact = float(centre)
    except (TypeError, ValueError, OverflowError):
        return False
    if not math.isfinite(exact) or exact == 0:
        return False
    return bool(abs(engine - centre) <= relative * abs(exact))


def _relative(engine: float, truth: Any) -> Optional[float]:
    try:
        truth_float = float(truth)
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(truth_float):
        return None
    if truth_float == 0:
        return math.inf if engine != 0 else 0.0
    return abs(engine - truth_float) / abs(truth_float)


def judge(truth: Truth, result: "EngineResult", *, engine: str, dtype: str = "float64",
          reference: Optional["EngineResult"] = None) -> Verdict:
    """Compare ``result`` with ``truth``.

    ``reference`` is the float64 reference engine's result on the same example:
    where it fails the same way, the failure is inherent to evaluating this
    composition in float64 rather than a defect of the engine.
    """
    verdict = Verdict(engine, dtype, truth, result)
    for check, message in result.state_findings:
        verdict.divergences.append(Finding("state-across-calls", check, message))

    if truth.status == "domain":
        verdict.skipped = (
            f"outside the domain at node {truth.domain_node} "
            f"({truth.graph.nodes[truth.domain_node].op}): {truth.domain_reason}"
        )
        return verdict
    if truth.status == "beyond":
        verdict.informational.append(Finding(
            "float64-inherent", "value",
            "an intermediate value is beyond any float range, so no float engine can evaluate this graph"))
        return verdict

    _judge_failure(verdict, reference)
    if result.failure is None:
        _judge_value(verdict, reference)
        _judge_gradient(verdict, reference)
    return verdict


def _reference_failed(reference: Optional["EngineResult"], truth: Truth) -> bool:
    """True when the float64 reference engine also fails to produce finite
    numbers for every defined part of the truth."""
    if reference is None:
        return False
    if not _is_finite(reference.value):
        return True
    for name, entry in truth.gradient.items():
        if entry.defined and not _is_finite(reference.gradient.get(name)):
            return True
    return False


def _truth_is_finite(truth: Truth) -> bool:
    if truth.status != "ok":
        return False
    return all(entry.finite for entry in truth.gradient.values() if entry.defined)


def _judge_failure(verdict: Verdict, reference: Optional["EngineResult"]) -> None:
    failure = verdict.result.failure
    if failure is None:
        return
    truth = verdict.truth
    message = f"{failure.phase}: {failure.error_type}: {failure.message}"
    if failure.phase == "timeout":
        verdict.divergences.append(Finding("timeout", "run", message))
        return
    if failure.phase == "protocol":
        kind = "crash" if failure.error_type == "ChildExited" else "protocol-error"
        verdict.divergences.append(Finding(kind, "run", message))
        return
    if failure.phase == "state":
        verdict.divergences.append(Finding("state-across-calls", "run", message))
        return
    if truth.status == "overflow":
        verdict.informational.append(Finding(
            "float64-inherent", "value", f"{message}; the true value {_text(truth.value)} is beyond float64's range",
            truth=_text(truth.value)))
        return
    if not _truth_is_finite(truth):
        verdict.informational.append(Finding(
            "float64-inherent", "run", f"{message}; the true result is not finite, which Python floats signal by raising"))
        return
    if _reference_failed(reference, truth):
        verdict.informational.append(Finding(
            "float64-inherent", "run",
            f"{message}; the float64 reference engine also fails here (an intermediate overflows or underflows)"))
        return
    verdict.divergences.append(Finding("crash", "run", message))


def _judge_value(verdict: Verdict, reference: Optional["EngineResult"]) -> None:
    truth, result = verdict.truth, verdict.result
    value = result.value
    if value is None:
        verdict.divergences.append(Finding("missing-gradient", "value", "the engine returned no output value"))
        return
    if truth.status == "overflow":
        if math.isinf(value) and (value > 0) == (truth.value > 0):
            verdict.informational.append(Finding(
                "float64-inherent", "value", "the true value is beyond float64's range", value, _text(truth.value)))
        return
    if _surely_inside(value, truth.value, 0.99 * FORMATS[verdict.dtype].rho):
        return
    ball = truth.attainable(verdict.dtype).value
    if ball.contains(value) and math.isfinite(value):
        return
    finding = Finding("", "value", "", value, _text(truth.value), _relative(value, truth.value), float(ball.radius))
    reference_value = None if reference is None else reference.value
    reference_ok = _is_finite(reference_value) and ball.contains(reference_value)
    unreachable = float(ball.radius) == math.inf
    if unreachable or (not reference_ok and reference is not None):
        finding.kind = inherent_kind(verdict.dtype)
        finding.message = UNREACHABLE.format(dtype=verdict.dtype) if unreachable else REFERENCE_FAILS
        verdict.informational.append(finding)
    elif not math.isfinite(value):
        finding.kind = "non-finite"
        finding.message = "the value is not finite but the true value is"
        verdict.divergences.append(finding)
    else:
        finding.kind = "wrong-value"
        finding.message = f"the value is outside what {verdict.dtype} can attain"
        verdict.divergences.append(finding)


def _judge_gradient(verdict: Verdict, reference: Optional["EngineResult"]) -> None:
    truth, result = verdict.truth, verdict.result
    if truth.status != "ok":
        return
    rho = FORMATS[verdict.dtype].rho
    for name, entry in truth.gradient.items():
        if not entry.defined:
            continue
        engine_value = result.gradient.get(name)
        if _surely_inside(engine_value, entry.value, 1.9 * rho) and not entry.at_kink:
            continue
        ball = truth.attainable(verdict.dtype).gradient[name]
        lo, hi = entry.admissible
        truth_text = _text(entry.value) if not entry.at_kink else f"[{_text(lo)}, {_text(hi)}]"
        finding = Finding("", name, "", engine_value, truth_text, tolerance=float(ball.radius))
        reference_value = None if reference is None else reference.gradient.get(name)

        if engine_value is None:
            if entry.value == 0 and not entry.at_kink:
                continue  # frameworks return no gradient for inputs that do not matter
            finding.kind, finding.message = "missing-gradient", "the engine returned no gradient"
            verdict.divergences.append(finding)
            continue

        if not entry.finite:
            _judge_nonfinite_truth(verdict, entry, finding, engine_value)
            continue

        if not math.isfinite(engine_value):
            unreachable = float(ball.radius) == math.inf
            reference_failed = reference is not None and not _is_finite(reference_value)
            if unreachable or reference_failed:
                finding.kind = inherent_kind(verdict.dtype)
                finding.message = UNREACHABLE.format(dtype=verdict.dtype) if unreachable else REFERENCE_FAILS
                verdict.informational.append(finding)
            else:
                finding.kind = "non-finite"
                finding.message = "the gradient is not finite but the true gradient is"
                verdict.divergences.append(finding)
            continue

        if ball.contains(engine_value):
            if entry.at_kink:
                finding.kind = "convention"
                finding.message = f"a kink is hit exactly; the engine picks {engine_value!r} in the admissible range"
                verdict.informational.append(finding)
            continue

        finding.relative_error = _relative(engine_value, entry.value)
        reference_ok = reference_value is not None and ball.contains(reference_value)
        if reference is not None and not reference_ok:
            finding.kind = inherent_kind(verdict.dtype)
            finding.message = REFERENCE_FAILS
            verdict.informational.append(finding)
        elif entry.at_kink:
            finding.kind = "kink-outside-range"
            finding.message = "a kink is hit exactly and the engine's gradient is outside the admissible range"
            verdict.divergences.append(finding)
        else:
            finding.kind = "wrong-gradient"
            finding.message = f"the gradient is outside what {verdict.dtype} can attain"
            verdict.divergences.append(finding)


def _judge_nonfinite_truth(verdict: Verdict, entry: Any, finding: Finding, engine_value: float) -> None:
    """Judge an entry where the chain rule at high precision gives nan or inf."""
    derivative = entry.finite_difference
    true_text = "unknown" if derivative is None else _text(derivative)
    lo, hi = entry.admissible
    truly_infinite = lo == hi and math.isinf(float(lo))
    if not math.isfinite(engine_value):
        if truly_infinite and math.isinf(engine_value) and (engine_value > 0) == (lo > 0):
            return  # the derivative really is infinite (sqrt at 0 from the right)
        finding.kind = "ad-inherent"
        finding.truth = true_text
        finding.message = (
            f"the chain rule itself gives {_text(entry.value)} here; the function's derivative is {true_text}"
        )
        verdict.informational.append(finding)
        return
    if derivative is not None and _relative(engine_value, derivative) is not None:
        error = _relative(engine_value, derivative)
        if error is not None and error <= 1e-6:
            return  # the engine found the function's derivative the chain rule misses
    values = verdict.truth.attainable(verdict.dtype).values
    if any(float(ball.radius) == math.inf for ball in values):
        # An engine's intermediate may land on the other side of a pole or a
        # kink (sin of 4.9e257 has no float64 sign), so any number can come out.
        finding.kind = inherent_kind(verdict.dtype)
        finding.truth = true_text
        finding.message = UNREACHABLE.format(dtype=verdict.dtype)
        verdict.informational.append(finding)
        return
    finding.kind = "wrong-gradient"
    finding.truth = true_text if derivative is not None else _text(entry.value)
    finding.message = f"the chain rule gives {_text(entry.value)} and the function's derivative is {true_text}"
    verdict.divergences.append(finding)
