"""The public checks: one engine, one graph, one point, one plain verdict."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Union

from ._graph import Graph, Point
from ._localise import localise, refine_blame
from ._parse import parse_expression
from ._truth import Truth, compute_truth
from ._verdict import Verdict, judge

if TYPE_CHECKING:
    from engines._result import Engine, EngineResult

__all__ = ["check", "check_expression", "run_engine", "resolve_engine"]


def resolve_engine(engine: Union[str, "Engine"]) -> "Engine":
    """Return ``engine`` itself, or load it from a spec string such as ``reference``."""
    if not isinstance(engine, str):
        return engine
    if engine == "reference":
        from engines import ReferenceEngine

        return ReferenceEngine()
    from engines._spec import load_engine

    return load_engine(engine)


def run_engine(engine: "Engine", graph: Graph, point: Point) -> "EngineResult":
    """Run ``engine``, turning an exception that escapes its adapter into a crash."""
    from engines._result import EngineResult, Failure

    try:
        return engine.run(graph, point)
    except Exception as error:  # an adapter bug must not stop a campaign
        return EngineResult(None, failure=Failure("forward", type(error).__name__, str(error)))


def check(
    engine: Union[str, "Engine"],
    graph: Graph,
    point: Point,
    *,
    truth: Optional[Truth] = None,
    reference: Optional["EngineResult"] = None,
    state: bool = False,
) -> Verdict:
    """Check one engine on one graph at one point and return its verdict.

    ``truth`` and ``reference`` may be passed in when several engines share
    one example (the truth is the expensive part).  With ``state=True`` the
    engine's ``check_state`` (backward twice, reuse after backward) runs too,
    when the engine offers it.
    """
    engine = resolve_engine(engine)
    if truth is None:
        truth = compute_truth(graph, point)
    if reference is None:
        from engines import ReferenceEngine

        reference = ReferenceEngine().run(graph, point)
    result = run_engine(engine, graph, point)
    if state and hasattr(engine, "check_state"):
        result.state_findings.extend(engine.check_state(graph, point))
    dtype = getattr(engine, "dtype", "float64")
    name = getattr(engine, "name", type(engine).__name__)
    verdict = judge(truth, result, engine=name, dtype=dtype, reference=reference)
    if not truth.confirmed and (verdict.divergences or verdict.informational):
        # Nothing is reported on an unconfirmed truth: run the finite
        # differences now and judge again with them.
        truth.confirm()
        verdict = judge(truth, result, engine=name, dtype=dtype, reference=reference)
    if verdict.divergences and truth.status == "ok":
        verdict.blame = localise(truth, result, dtype)
        if verdict.blame is not None and verdict.blame.alternatives:
            verdict.blame = refine_blame(engine, truth, result, verdict.blame)
    return verdict


def check_expression(engine: Union[str, "Engine"], expression: str, point: Point, **options: Any) -> Verdict:
    """Parse ``expression`` (``"(a*b + c)*f"``) and ``check`` it at ``point``."""
    return check(engine, parse_expression(expression), point, **options)
