"""Failure messages of the pytest plugin and the assertion helpers.

A message is built from the plain verdict record (``verdict_record``), so it
shows what every report shows.  That is the expression, the exact inputs and
the truth beside the engine's value and gradient.  It adds the first wrong op
where the engine exposes per-node data, and a runnable snippet for
micrograd-style engines.
"""

from __future__ import annotations

from typing import Any, Optional

from ._snippet import ValueApi

__all__ = ["format_mismatch", "format_state_mismatch", "snippet_api_for", "snippet_for", "snippet_for_state"]

_INDENT = "    "


def snippet_api_for(engine: Any) -> Optional[ValueApi]:
    """Return how to write a snippet for ``engine``, or None when it is not micrograd-style."""
    from engines._reference_engine import ReferenceEngine

    if type(engine) is ReferenceEngine:
        return ValueApi()
    method = getattr(engine, "snippet_api", None)
    if callable(method):
        return method()
    api = getattr(engine, "api", None)
    cls = getattr(engine, "cls", None)
    if api is None or not isinstance(cls, type):
        return None
    path = None
    name = getattr(engine, "name", "")
    if "@" in name:
        path = name.partition("@")[2].partition("?")[0] or None

    def spelled(accessor: Any) -> str:
        return f"{accessor.name}()" if accessor.kind == "method" else accessor.name

    methods = {op: form.name for op, form in api.ops.items() if form.kind == "method"}
    return ValueApi(module=cls.__module__, cls=cls.__qualname__, backward=api.backward,
                    grad=spelled(api.grad), data=spelled(api.data), methods=methods, path=path)


def snippet_for(engine: Any, verdict: Any) -> Optional[str]:
    """Return a runnable script that reproduces ``verdict`` on ``engine``, if one can be written."""
    from ._snippet import python_snippet

    api = snippet_api_for(engine)
    if api is None:
        return None
    truth = verdict.truth
    return python_snippet(truth.graph, truth.point, api, _truth_lines(verdict))


def snippet_for_state(engine: Any, graph: Any, point: Any, check: str) -> Optional[str]:
    """Return a script that builds ``graph`` and shows the gradients after a second backward call.

    Only the backward-twice check gets the extra lines; the reuse check's
    second graph is described in the failure message.
    """
    from ._snippet import python_snippet

    api = snippet_api_for(engine)
    if api is None:
        return None
    lines = python_snippet(graph, point, api).splitlines()
    if check == "backward twice":
        backward_line = next(line for line in lines if line.endswith(f".{api.backward}()"))
        lines += ["", "# a second backward call must leave the gradients as they are (or double them):",
                  backward_line]
        lines += [f"print('d/d{name}', {name}.{api.grad})" for name in graph.inputs]
    return "\n".join(lines) + "\n"


def _truth_lines(verdict: Any) -> list[str]:
    from ._campaign import _truth_lines as campaign_truth_lines

    return campaign_truth_lines(verdict)


def _number(value: Any) -> str:
    if value is None:
        return "-"
    return repr(value) if isinstance(value, float) else str(value)


def _inputs_line(record: dict[str, Any]) -> str:
    # The decimal text is the shortest repr that round-trips, so it is exact.
    return ", ".join(f"{name} = {value['decimal']}" for name, value in record["inputs"].items())


def _short(text: Optional[str]) -> str:
    """Shorten a record's 30-digit truth to 17 significant digits, enough to tell any two floats apart."""
    if text is None:
        return "-"
    from mpmath import mp, mpf, nstr

    with mp.workprec(200):
        return str(nstr(mpf(text), 17))


def _truth_text(entry: dict[str, Any]) -> str:
    if not entry["defined"]:
        return "undefined"
    lo, hi = entry["admissible"]
    if lo != hi:
        return f"any value in [{_short(lo)}, {_short(hi)}]"
    return _short(entry["value"])


def _table(record: dict[str, Any]) -> list[str]:
    truth, result = record["truth"], record["result"]
    flagged = {finding["target"]: finding for finding in record["divergences"]}
    rows = [("", "truth", "engine", "")]
    value_note = flagged.get("value")
    rows.append(("value", _short(truth.get("value")), _number(result["value"]),
                 f"<- {value_note['kind']}" if value_note else ""))
    for name, entry in truth["gradient"].items():
        note = flagged.get(name)
        rows.append((f"d/d{name}", _truth_text(entry), _number(result["gradient"].get(name)),
                     f"<- {note['kind']}" if note else ""))
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    return [f"{_INDENT}{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]}".rstrip()
            for row in rows]


def _finding_line(finding: dict[str, Any]) -> str:
    line = f"{finding['kind']} on {finding['target']}: {finding['message']}"
    extra = []
    for key, label in (("relative_error", "relative error"), ("tolerance", "tolerance")):
        value = finding.get(key)
        if value is not None:
            # Records spell non-finite numbers as the strings "inf" and "nan".
            extra.append(f"{label} {value:.3g}" if isinstance(value, float) else f"{label} {value}")
    return line + (f" ({', '.join(extra)})" if extra else "")


def _snippet_lines(snippet: Optional[str]) -> list[str]:
    if not snippet:
        return []
    return ["reproduce with this script:", *(f"{_INDENT}{line}" if line else "" for line in snippet.splitlines())]


def format_mismatch(record: dict[str, Any], snippet: Optional[str] = None) -> str:
    """Return the failure message for one verdict record: what differs, where, and how to rerun it."""
    lines = [
        f"{record['engine']} diverges from the truth: {record['kind']}",
        f"{_INDENT}expression: {record['expression']}",
        f"{_INDENT}inputs:     {_inputs_line(record)}",
    ]
    if record["truth"]["status"] in ("ok", "overflow"):
        lines.extend(_table(record))
    for finding in record["divergences"]:
        lines.append(f"{_INDENT}{_finding_line(finding)}")
    if record["blame"]:
        lines.append(f"{_INDENT}first wrong op: {record['blame']}")
    lines.extend(_snippet_lines(snippet))
    return "\n".join(lines)


def format_state_mismatch(engine_name: str, check: str, expression: str, point: dict[str, float],
                          messages: list[str], snippet: Optional[str] = None) -> str:
    """Return the failure message for a state check (backward twice, reuse after backward)."""
    inputs = ", ".join(f"{name} = {value!r}" for name, value in point.items())
    lines = [
        f"{engine_name} keeps state across backward calls: {check}",
        f"{_INDENT}expression: {expression}",
        f"{_INDENT}inputs:     {inputs}",
        *(f"{_INDENT}{message}" for message in messages),
    ]
    lines.extend(_snippet_lines(snippet))
    return "\n".join(lines)
