"""The kink-convention table: what each engine returns where a rule has a choice.

At a kink (relu and abs at 0, a tie of max or min) any value in the range of
one-sided derivatives is a legitimate result, and engines pick different
ones.  Near the edges of smooth rules (sqrt at 0, a power with exponent 0, a
zero base with a variable exponent, sigmoid and tanh far from 0) engines
differ too, some returning nan or 0 where the true derivative is finite.
The table is observed: every probe runs on every engine and is judged
against the high-precision truth like any other example.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Sequence

from ._check import check, resolve_engine
from ._errors import EngineLoadError
from ._parse import parse_expression
from ._truth import compute_truth

__all__ = ["Probe", "PROBES", "observe_conventions", "conventions_markdown"]


@dataclass(frozen=True)
class Probe:
    """One row of the table: a quantity of one expression at one point, read from every engine."""

    key: str
    expression: str
    point: tuple[tuple[str, float], ...]
    #: "value" or the input whose gradient entry is read.
    target: str


def _probe(key: str, expression: str, target: str, **point: float) -> Probe:
    return Probe(key, expression, tuple(point.items()), target)


PROBES: tuple[Probe, ...] = (
    _probe("relu'(0)", "relu(x)", "x", x=0.0),
    _probe("abs'(0)", "abs(x)", "x", x=0.0),
    _probe("max(x, y) tie: d/dx", "max(x, y)", "x", x=1.0, y=1.0),
    _probe("max(x, y) tie: d/dy", "max(x, y)", "y", x=1.0, y=1.0),
    _probe("min(x, y) tie: d/dx", "min(x, y)", "x", x=1.0, y=1.0),
    _probe("min(x, y) tie: d/dy", "min(x, y)", "y", x=1.0, y=1.0),
    _probe("sqrt'(0)", "sqrt(x)", "x", x=0.0),
    _probe("d(x**0)/dx at x = 0", "x**0", "x", x=0.0),
    _probe("d(x**y)/dy at x = 0, y = 2", "x**y", "y", x=0.0, y=2.0),
    _probe("sigmoid'(40)", "sigmoid(x)", "x", x=40.0),
    _probe("sigmoid'(-800)", "sigmoid(x)", "x", x=-800.0),
    _probe("sigmoid(-800)", "sigmoid(x)", "value", x=-800.0),
    _probe("tanh'(20)", "tanh(x)", "x", x=20.0),
    _probe("tanh'(800)", "tanh(x)", "x", x=800.0),
)


def _number(value: Optional[float]) -> Any:
    from ._records import _number as number

    return number(value)


def _truth_text(truth: Any, target: str) -> str:
    from mpmath import nstr

    if target == "value":
        return str(nstr(truth.value, 17))
    entry = truth.gradient[target]
    lo, hi = entry.admissible
    if entry.at_kink:
        return f"any value in [{nstr(lo, 17)}, {nstr(hi, 17)}]"
    return str(nstr(entry.value, 17))


def _observe(engine: Any, probe: Probe, truth: Any) -> dict[str, Any]:
    """Run ``probe`` on ``engine`` and return the observed value with the verdict on it."""
    graph = truth.graph
    missing = sorted(graph.ops_used() - set(engine.supported_ops))
    if missing:
        return {"value": None, "status": "unsupported", "message": f"the engine does not run {', '.join(missing)}"}
    verdict = check(engine, graph, truth.point, truth=truth)
    result = verdict.result
    observed = result.value if probe.target == "value" else result.gradient.get(probe.target)
    status, message = "agrees", ""
    for finding in verdict.divergences + verdict.informational:
        if finding.target in (probe.target, "run"):
            status, message = finding.kind, finding.message
            break
    if status == "agrees" and result.failure is not None:
        status, message = "crash", str(result.failure)
    return {"value": _number(observed), "status": status, "message": message}


def observe_conventions(engines: Sequence[Any], probes: Sequence[Probe] = PROBES) -> dict[str, Any]:
    """Run every probe on every engine (specs or Engine objects) and return the table as a plain record.

    Cells carry the engine's number and a status: "agrees" (inside the
    admissible range, or what the engine's float format can attain),
    "convention" (a kink value inside the range), "unsupported", "not loaded",
    or the divergence or informational kind the verdict gives.
    """
    truths = [compute_truth(parse_expression(probe.expression), dict(probe.point)) for probe in probes]
    rows = [
        {"key": probe.key, "expression": probe.expression, "inputs": dict(probe.point), "target": probe.target,
         "truth": _truth_text(truth, probe.target)}
        for probe, truth in zip(probes, truths)
    ]
    columns = []
    cells: dict[str, dict[str, Any]] = {}
    for spec in engines:
        name = spec if isinstance(spec, str) else getattr(spec, "name", type(spec).__name__)
        try:
            engine = resolve_engine(spec)
        except EngineLoadError as error:
            columns.append({"spec": name, "dtype": "?", "load_error": str(error)})
            cells[name] = {probe.key: {"value": None, "status": "not loaded", "message": str(error)} for probe in probes}
            continue
        columns.append({"spec": name, "dtype": getattr(engine, "dtype", "float64"), "load_error": None})
        cells[name] = {probe.key: _observe(engine, probe, truth) for probe, truth in zip(probes, truths)}
    return {"probes": rows, "engines": columns, "cells": cells}


def _cell_text(cell: dict[str, Any]) -> str:
    value = cell["value"]
    if value is None:
        shown = "-"
    elif isinstance(value, float):
        shown = repr(value)
    else:
        shown = str(value)
    if cell["status"] in ("agrees", "convention"):
        return shown
    if value is None:
        return cell["status"]
    return f"{shown} ({cell['status']})"


def conventions_markdown(record: dict[str, Any]) -> str:
    """Render a convention record as Markdown: one row per probe, one column per engine."""
    engines = [column["spec"] for column in record["engines"]]
    lines = [
        "## Conventions at kinks and edges",
        "",
        "Each cell is the engine's number; a divergence or informational kind follows in brackets.",
        "",
        "| quantity | expression | truth | " + " | ".join(engines) + " |",
        "|---|---|---|" + "---|" * len(engines),
    ]
    for probe in record["probes"]:
        inputs = ", ".join(f"{name} = {value!r}" for name, value in probe["inputs"].items())
        cells = [_cell_text(record["cells"][engine][probe["key"]]) for engine in engines]
        lines.append(f"| {probe['key']} | `{probe['expression']}` at {inputs} | {probe['truth']} | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
