"""Campaign reports: one JSON document, Markdown for people, short terminal text.

All three are rendered from ``campaign_record``, the plain record of a
campaign; ``gradoracle report`` re-renders a saved JSON document.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from ._campaign import CampaignResult, Defect
from ._records import verdict_record
from ._verdict import DIVERGENCE_KINDS, INFORMATIONAL_KINDS

__all__ = ["REPORT_SCHEMA", "campaign_record", "render_json", "render_markdown", "render_text"]

REPORT_SCHEMA = "gradoracle.report/1"


def _defect_record(defect: Defect) -> dict[str, Any]:
    record = verdict_record(defect.verdict)
    record.update({
        "signature": defect.signature.key,
        "count": defect.count,
        "shrunk": defect.shrunk,
        "reproducer": None if defect.path is None else str(defect.path),
    })
    if defect.snippet:
        record["snippet"] = defect.snippet
    return record


def campaign_record(result: CampaignResult) -> dict[str, Any]:
    """Return the JSON-ready record of a campaign."""
    engines = []
    for summary in result.engines:
        kinds = Counter(d.verdict.kind for d in result.defects if d.signature.engine == summary.spec)
        engines.append({
            "spec": summary.spec,
            "version": summary.version,
            "dtype": summary.dtype,
            "ops": list(summary.ops),
            "examples": summary.examples,
            "probes": summary.probes,
            "skipped_outside_domain": summary.skipped,
            "seconds": round(summary.seconds, 3),
            "load_error": summary.load_error,
            "divergences_by_kind": dict(sorted(kinds.items())),
        })
    return {
        "schema": REPORT_SCHEMA,
        "seed": result.seed,
        "seconds": round(result.seconds, 3),
        "interrupted": result.interrupted,
        "engines": engines,
        "divergences": [_defect_record(d) for d in result.defects],
        "informational": [_defect_record(d) for d in result.informational],
    }


def render_json(record: dict[str, Any]) -> str:
    return json.dumps(record, indent=2) + "\n"


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _comparison_rows(item: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    truth, result = item["truth"], item["result"]
    rows = [("value", _fmt(result["value"]), truth.get("value", truth["status"]),
             _fmt(truth.get("tolerance", {}).get("value")))]
    tolerances = truth.get("tolerance", {}).get("gradient", {})
    for name, entry in truth.get("gradient", {}).items():
        lo, hi = entry["admissible"]
        shown = entry["value"] if lo == hi else f"[{lo}, {hi}]"
        if not entry["defined"]:
            shown = "undefined"
        rows.append((f"d/d{name}", _fmt(result["gradient"].get(name)), shown, _fmt(tolerances.get(name))))
    return rows


def _markdown_item(item: dict[str, Any]) -> list[str]:
    lines = [f"### {item['engine']}: {item['kind']} (`{item['signature']}`), seen {item['count']} time(s)", ""]
    lines += [f"Expression: `{item['expression']}`", ""]
    inputs = ", ".join(f"{name} = {value['decimal']}" for name, value in item["inputs"].items())
    lines += [f"Inputs: {inputs}", ""]
    for finding in item["divergences"] or item["informational"]:
        lines.append(f"- **{finding['kind']}** on `{finding['target']}`: {finding['message']}")
    if item.get("blame"):
        lines.append(f"- first wrong op: {item['blame']}")
    failure = item["result"]["failure"]
    if failure:
        lines.append(f"- raised in {failure['phase']}: `{failure['type']}: {failure['message']}`")
    lines += ["", "| quantity | engine | truth | tolerance (±) |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in _comparison_rows(item)]
    if item.get("snippet"):
        lines += ["", "```python", item["snippet"].rstrip(), "```"]
    if item.get("reproducer"):
        lines += ["", f"Reproducer: `{item['reproducer']}`"]
    return lines + [""]


def render_markdown(record: dict[str, Any]) -> str:
    """Render a campaign record as GitHub-flavoured Markdown."""
    lines = ["# gradoracle campaign", ""]
    lines += [f"Seed {record['seed']}, {record['seconds']} s" + (" (interrupted)" if record["interrupted"] else ""), ""]
    lines += ["| engine | version | ops | examples | divergences |", "|---|---|---|---|---|"]
    for engine in record["engines"]:
        kinds = ", ".join(f"{kind}: {count}" for kind, count in engine["divergences_by_kind"].items()) or "none"
        if engine["load_error"]:
            kinds = f"not run: {engine['load_error']}"
        lines.append(f"| {engine['spec']} | {engine['version'] or '-'} | {len(engine['ops'])} | "
                     f"{engine['examples']} | {kinds} |")
    lines.append("")
    for title, items, kinds in (("Divergences", record["divergences"], DIVERGENCE_KINDS),
                                ("Informational findings", record["informational"], INFORMATIONAL_KINDS)):
        lines += [f"## {title}", ""]
        if not items:
            lines += ["None.", ""]
            continue
        for kind in kinds:
            for item in items:
                if item["kind"] == kind:
                    lines += _markdown_item(item)
    return "\n".join(lines)


def render_text(record: dict[str, Any]) -> str:
    """Render a short terminal summary: one line per engine and per distinct divergence."""
    lines = []
    for engine in record["engines"]:
        if engine["load_error"]:
            lines.append(f"{engine['spec']}: not run: {engine['load_error']}")
            continue
        total = sum(engine["divergences_by_kind"].values())
        lines.append(f"{engine['spec']}: {engine['examples']} examples, {len(engine['ops'])} ops, "
                     f"{total} distinct divergence(s)")
    for item in record["divergences"]:
        finding = (item["divergences"] or [{}])[0]
        if finding.get("engine_value") is not None or finding.get("truth") is not None:
            detail = f" {finding.get('target')}: engine {_fmt(finding.get('engine_value'))} vs truth {finding.get('truth')}"
        else:
            detail = f" {finding.get('message', '')}"
        lines.append(f"  {item['kind']:<20} {item['expression']}  at {_short_inputs(item)}:{detail}"
                     f"  (x{item['count']})")
        if item.get("reproducer"):
            lines.append(f"  {'':<20} reproducer: {item['reproducer']}")
    if record.get("interrupted"):
        lines.append("interrupted: the campaign stopped early (the engines listed as not run were not checked)")
    informational = Counter(item["kind"] for item in record["informational"])
    if informational:
        summary = ", ".join(f"{kind} {count}" for kind, count in sorted(informational.items()))
        lines.append(f"informational (not failures): {summary}")
    return "\n".join(lines) + "\n"


def _short_inputs(item: dict[str, Any]) -> str:
    return ", ".join(f"{name}={value['decimal']}" for name, value in item["inputs"].items())
