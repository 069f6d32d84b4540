"""Plain JSON records of verdicts, and reproducer files on disk.

Every report format (JSON, Markdown, HTML, JUnit, terminal text) is rendered
from these records, so they carry everything a reader needs: the graph, the
exact inputs, the truth, the engine's numbers and the findings.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Optional

from mpmath import nstr

from ._errors import InvalidArgument
from ._graph import Graph, float_to_json, point_from_json, point_to_json
from ._verdict import Finding, Verdict

__all__ = ["REPRODUCER_FORMAT", "verdict_record", "write_reproducer", "read_reproducers", "truth_record"]

REPRODUCER_FORMAT = "gradoracle.reproducer/1"


def _number(value: Any) -> Any:
    """Return a float for JSON: a number when finite, else the string "nan", "inf" or "-inf"."""
    if value is None:
        return None
    value = float(value)
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "nan"
    return "inf" if value > 0 else "-inf"


def _hp(value: Any) -> Optional[str]:
    return None if value is None else nstr(value, 30)


def truth_record(verdict: Verdict) -> dict[str, Any]:
    truth = verdict.truth
    record: dict[str, Any] = {"status": truth.status}
    if truth.value is not None:
        record["value"] = _hp(truth.value)
    if truth.domain_reason:
        record["domain"] = {"node": truth.domain_node, "reason": truth.domain_reason}
    gradient = {}
    for name, entry in truth.gradient.items():
        lo, hi = entry.admissible
        gradient[name] = {
            "value": _hp(entry.value),
            "admissible": [_hp(lo), _hp(hi)],
            "defined": entry.defined,
            "finite_difference": _hp(entry.finite_difference),
            "confirmed": entry.confirmed,
        }
    record["gradient"] = gradient
    if truth.status in ("ok", "overflow"):
        attainable = truth.attainable(verdict.dtype)
        record["tolerance"] = {
            "value": _number(attainable.value.radius),
            "gradient": {name: _number(ball.radius) for name, ball in attainable.gradient.items()},
        }
    return record


def _finding_record(finding: Finding) -> dict[str, Any]:
    return {
        "kind": finding.kind,
        "target": finding.target,
        "message": finding.message,
        "engine_value": _number(finding.engine_value),
        "truth": finding.truth,
        "relative_error": _number(finding.relative_error),
        "tolerance": _number(finding.tolerance),
    }


def verdict_record(verdict: Verdict) -> dict[str, Any]:
    """Return the plain JSON record of one verdict."""
    graph = verdict.truth.graph
    result = verdict.result
    labels = [graph.node_label(index) for index in range(len(graph.nodes))]
    record: dict[str, Any] = {
        "engine": verdict.engine,
        "dtype": verdict.dtype,
        "kind": verdict.kind,
        "expression": graph.expression(),
        "graph": graph.to_json(),
        "inputs": point_to_json(verdict.truth.point),
        "truth": truth_record(verdict),
        "result": {
            "value": _number(result.value),
            "gradient": {name: _number(value) for name, value in result.gradient.items()},
            "node_values": None if result.node_values is None else [_number(v) for v in result.node_values],
            "node_adjoints": None if result.node_adjoints is None else [_number(v) for v in result.node_adjoints],
            "failure": None if result.failure is None else {
                "phase": result.failure.phase,
                "type": result.failure.error_type,
                "message": result.failure.message,
            },
        },
        "divergences": [_finding_record(f) for f in verdict.divergences],
        "informational": [_finding_record(f) for f in verdict.informational],
        "blame": None if verdict.blame is None else verdict.blame.describe(labels),
        "skipped": verdict.skipped,
    }
    return record


def write_reproducer(directory: Path, name: str, record: dict[str, Any]) -> Path:
    """Write ``record`` as ``directory/name.json`` atomically and return the path.

    The file is complete on disk before this returns, so an interrupted
    campaign keeps every reproducer it reported.
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    document = {"format": REPRODUCER_FORMAT, **record}
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".json")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        json.dump(document, stream, indent=2)
        stream.write("\n")
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, path)
    return path


def read_reproducers(path: Path) -> list[tuple[Path, Graph, dict[str, float], dict[str, Any]]]:
    """Read one reproducer file, or every ``*.json`` file under a directory.

    Files in the conformance-vector format are accepted too: anything with a
    ``graph`` and ``inputs`` (or ``point``) field.
    """
    if not path.exists():
        raise InvalidArgument(f"path={str(path)!r} does not exist; give a reproducer file or a folder of them")
    files = sorted(p for p in path.rglob("*.json") if not p.name.startswith(".")) if path.is_dir() else [path]
    examples = []
    for file in files:
        try:
            document = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise InvalidArgument(f"reproducer file={str(file)!r} is not readable JSON: {error}") from None
        if not isinstance(document, dict) or "graph" not in document:
            continue  # summaries and other JSON files in a report folder
        fmt = document.get("format")
        if isinstance(fmt, str) and fmt.startswith("gradoracle.reproducer/") and fmt != REPRODUCER_FORMAT:
            raise InvalidArgument(f"reproducer file={str(file)!r} has format={fmt!r}; this gradoracle reads "
                                  f"{REPRODUCER_FORMAT!r}")
        try:
            graph = Graph.from_json(document["graph"])
            point = point_from_json(document.get("inputs", document.get("point", {})))
        except InvalidArgument as error:
            raise InvalidArgument(f"reproducer file={str(file)!r}: {error}") from None
        examples.append((file, graph, point, document))
    if not examples:
        raise InvalidArgument(f"path={str(path)!r} contains no reproducer (no JSON file with a 'graph' field)")
    return examples


def float_record(value: float) -> dict[str, str]:
    return float_to_json(value)
