"""Group divergences into distinct defects.

Two failing examples show the same defect when they have the same engine and
kind and blame the same rule of the same op.  Engines that expose no per-node
data cannot be localised.  For them a defect is its kind plus the op set of
its smallest example, and a later example of that kind whose ops include
that set counts as a repeat.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ._verdict import Verdict

__all__ = ["Signature", "signature_of"]


@dataclass(frozen=True)
class Signature:
    """The identity of a defect: engine, kind and what is wrong where."""

    engine: str
    kind: str
    #: Blamed op and rule ("forward"/"backward"), or the failure's phase and
    #: error type for crashes, or the state check's name.
    detail: str
    #: Ops of the example, used only when ``detail`` cannot tell defects apart.
    ops: frozenset[str] = frozenset()
    localised: bool = False

    @property
    def key(self) -> str:
        """A stable text id, usable in file names."""
        parts = [self.kind, self.detail or "any"]
        if not self.localised and self.ops:
            parts.append("+".join(sorted(self.ops)))
        return ":".join(parts)

    def covers(self, other: "Signature") -> bool:
        """True when ``other`` is a repeat of this defect."""
        if (self.engine, self.kind, self.detail, self.localised) != (
            other.engine, other.kind, other.detail, other.localised
        ):
            return False
        return self.localised or self.ops <= other.ops


def signature_of(verdict: Verdict) -> Optional[Signature]:
    """Return the signature of a verdict's most severe divergence, or None without one."""
    if verdict.ok:
        return None
    kind = verdict.kind
    ops = verdict.truth.graph.ops_used()
    failure = verdict.result.failure
    if kind == "state-across-calls":
        check = next(f.target for f in verdict.divergences if f.kind == kind)
        return Signature(verdict.engine, kind, check, ops, localised=True)
    if failure is not None and kind in ("crash", "timeout", "protocol-error"):
        return Signature(verdict.engine, kind, f"{failure.phase}/{failure.error_type}", ops)
    size = _error_size(verdict, kind)
    if verdict.blame is not None:
        detail = "/".join(filter(None, (verdict.blame.op, verdict.blame.rule, size)))
        return Signature(verdict.engine, kind, detail, ops, localised=True)
    return Signature(verdict.engine, kind, size, ops)


def _error_size(verdict: Verdict, kind: str) -> str:
    """How far off a wrong number is, so that a rule that loses precision and
    one that is plainly wrong in the same op stay separate defects:
    "zero" (the engine returns 0 for a nonzero truth, as underflow or
    cancellation do), "inaccurate" (relative error at most 1e-3) or "wrong"."""
    if kind not in ("wrong-value", "wrong-gradient"):
        return ""
    finding = next(f for f in verdict.divergences if f.kind == kind)
    if finding.engine_value == 0:
        return "zero"
    if finding.relative_error is not None and finding.relative_error <= 1e-3:
        return "inaccurate"
    return "wrong"
