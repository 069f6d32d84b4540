"""A self-contained HTML report of a campaign record: tables and inline SVG graphs.

``render_html`` takes the same plain record as the JSON and Markdown
renderers (``campaign_record`` or ``matrix_record``) and returns one HTML
document with its style inline and no scripts, fonts or other files to load.

Each divergence gets a picture of its minimal graph (``_html_graph``).
"""

from __future__ import annotations

from html import escape
from typing import Any

from ._html_graph import graph_svg, short_number
from ._ops import OP_NAMES
from ._verdict import DIVERGENCE_KINDS

__all__ = ["render_html", "graph_svg"]

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1200px; color: #1d1d1d; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 1.8em; }
table { border-collapse: collapse; margin: .6em 0; font-size: .9em; }
th, td { border: 1px solid #c8c8c8; padding: .25em .55em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font-family: ui-monospace, monospace; font-size: .9em; }
pre { background: #f6f6f6; padding: .6em; overflow-x: auto; }
.bad { color: #b71c1c; font-weight: 600; } .good { color: #1b5e20; }
td.cell-diverged { background: #fdecea; } td.cell-ok { background: #edf7ed; }
td.cell-unsupported, td.cell-not-drawn { background: #f4f4f4; color: #888; }
td.cell-convention, td.cell-agrees { background: #edf7ed; } td.cell-informational { background: #fff8e1; }
td.cell-divergence { background: #fdecea; }
section.divergence { border: 1px solid #ddd; border-left: 4px solid #c62828; padding: .2em 1em 1em; margin: 1.2em 0; }
section.divergence h3 { margin-bottom: .3em; }
figure { margin: .8em 0; overflow-x: auto; } figcaption { font-size: .85em; color: #555; }
svg text { font-family: ui-monospace, monospace; font-size: 11px; fill: #1d1d1d; }
svg text.title { font-weight: 700; font-size: 12px; }
svg text.bad, svg tspan.bad { fill: #b71c1c; font-weight: 700; }
svg rect.node { fill: #ffffff; stroke: #555; stroke-width: 1.2; }
svg rect.input { fill: #eef3fb; stroke: #4a6fa5; stroke-width: 1.2; }
svg rect.output { stroke: #1a237e; stroke-width: 2; }
svg rect.blamed { fill: #fdecea; stroke: #c62828; stroke-width: 3.5; }
svg path.edge { fill: none; stroke: #777; stroke-width: 1.2; }
svg text.tag { fill: #c62828; font-weight: 700; }
"""


def _summary_table(record: dict[str, Any]) -> list[str]:
    rows = ['<table class="summary"><thead><tr><th>engine</th><th>version</th><th>dtype</th><th>ops</th>'
            '<th>examples</th><th>outside domain</th><th>seconds</th><th>distinct divergences</th></tr></thead><tbody>']
    for engine in record["engines"]:
        if engine["load_error"]:
            outcome = f'<span class="bad">not run: {escape(engine["load_error"])}</span>'
        else:
            kinds = engine["divergences_by_kind"]
            outcome = ", ".join(f'<span class="bad">{escape(kind)}: {count}</span>' for kind, count in kinds.items())
            outcome = outcome or '<span class="good">none</span>'
        rows.append(
            f'<tr><td><code>{escape(engine["spec"])}</code></td><td>{escape(str(engine["version"] or "-"))}</td>'
            f'<td>{escape(engine["dtype"])}</td><td class="num">{len(engine["ops"])}</td>'
            f'<td class="num">{engine["examples"]}</td><td class="num">{engine["skipped_outside_domain"]}</td>'
            f'<td class="num">{engine["seconds"]}</td><td>{outcome}</td></tr>')
    rows.append("</tbody></table>")
    return rows


def _coverage_table(record: dict[str, Any]) -> list[str]:
    matrix = record.get("matrix")
    if not matrix:
        return []
    engines = [engine["spec"] for engine in record["engines"] if not engine["load_error"]]
    shared = set(matrix["ops"])
    out = ['<h2 id="coverage">Coverage</h2>',
           f'<p>{matrix["examples"]} examples drawn from the {len(shared)} ops every engine supports; each ran on '
           f'every engine against one truth ({matrix["skipped_outside_domain"]} fell outside an op\'s domain and '
           'were not compared). A cell gives the examples that used the op and, after the slash, those on which '
           'the engine diverged.</p>',
           '<table class="coverage"><thead><tr><th>op</th>'
           + "".join(f"<th><code>{escape(engine)}</code></th>" for engine in engines) + "</tr></thead><tbody>"]
    for name in OP_NAMES:
        cells = []
        for engine in engines:
            supported = name in matrix.get("supported", {}).get(engine, matrix["ops"])
            cell = matrix["coverage"].get(engine, {}).get(name)
            if cell is not None:
                css = "cell-diverged" if cell["divergences"] else "cell-ok"
                cells.append(f'<td class="num {css}">{cell["examples"]} / {cell["divergences"]}</td>')
            elif supported:
                cells.append('<td class="cell-not-drawn" title="another engine lacks this op">not drawn</td>')
            else:
                cells.append('<td class="cell-unsupported">unsupported</td>')
        out.append(f"<tr><th><code>{name}</code></th>{''.join(cells)}</tr>")
    out.append("</tbody></table>")
    return out


def _convention_class(status: str) -> str:
    if status in ("agrees", "convention"):
        return "cell-agrees"
    if status in DIVERGENCE_KINDS:
        return "cell-divergence"
    if status in ("unsupported", "not loaded"):
        return "cell-unsupported"
    return "cell-informational"


def _convention_table(record: dict[str, Any]) -> list[str]:
    conventions = record.get("conventions")
    if not conventions:
        return []
    engines = [column["spec"] for column in conventions["engines"]]
    out = ['<h2 id="conventions">Conventions at kinks and edges</h2>',
           "<p>Observed by running each engine on one-op graphs. A value inside the truth's range is legitimate; "
           "otherwise the verdict's kind is shown.</p>",
           '<table class="conventions"><thead><tr><th>quantity</th><th>expression</th><th>truth</th>'
           + "".join(f"<th><code>{escape(engine)}</code></th>" for engine in engines) + "</tr></thead><tbody>"]
    for probe in conventions["probes"]:
        inputs = ", ".join(f"{name} = {value!r}" for name, value in probe["inputs"].items())
        cells = []
        for engine in engines:
            cell = conventions["cells"][engine][probe["key"]]
            value = cell["value"]
            shown = "-" if value is None else short_number(value)
            status = cell["status"]
            note = "" if status in ("agrees", "convention") else f"<br><small>{escape(status)}</small>"
            cells.append(f'<td class="num {_convention_class(status)}" title="{escape(cell["message"])}">'
                         f"{escape(shown)}{note}</td>")
        out.append(f'<tr><th>{escape(probe["key"])}</th><td><code>{escape(probe["expression"])}</code> at '
                   f'{escape(inputs)}</td><td>{escape(probe["truth"])}</td>{"".join(cells)}</tr>')
    out.append("</tbody></table>")
    return out


# --- findings ---------------------------------------------------------------


def _comparison_table(item: dict[str, Any]) -> list[str]:
    from ._report import _comparison_rows

    rows = ['<table class="comparison"><thead><tr><th>quantity</th><th>engine</th><th>truth</th>'
            "<th>tolerance (±)</th></tr></thead><tbody>"]
    for quantity, engine, truth, tolerance in _comparison_rows(item):
        rows.append(f"<tr><td>{escape(quantity)}</td><td class=\"num\">{escape(engine)}</td>"
                    f"<td class=\"num\">{escape(str(truth))}</td><td class=\"num\">{escape(tolerance)}</td></tr>")
    rows.append("</tbody></table>")
    return rows


def _inputs_text(item: dict[str, Any]) -> str:
    return ", ".join(f"{name} = {value['decimal']}" for name, value in item["inputs"].items())


def _divergence_section(number: int, item: dict[str, Any]) -> list[str]:
    out = [f'<section class="divergence" id="divergence-{number}">',
           f"<h3>{number}. <code>{escape(item['engine'])}</code>: {escape(item['kind'])} "
           f"<small>(<code>{escape(item['signature'])}</code>, seen {item['count']} time(s))</small></h3>",
           f"<p>Expression <code>{escape(item['expression'])}</code> at {escape(_inputs_text(item))}"
           f" ({escape(item['dtype'])})</p><ul>"]
    for finding in item["divergences"]:
        out.append(f"<li><b>{escape(finding['kind'])}</b> on <code>{escape(finding['target'])}</code>: "
                   f"{escape(finding['message'])}</li>")
    if item.get("blame"):
        out.append(f'<li class="blame">first wrong op: {escape(item["blame"])}</li>')
    failure = item["result"]["failure"]
    if failure:
        out.append(f"<li>raised in {escape(failure['phase'])}: <code>{escape(failure['type'])}: "
                   f"{escape(failure['message'])}</code></li>")
    out.append("</ul>")
    out += _comparison_table(item)
    out.append(f"<figure>{graph_svg(item)}<figcaption>Minimal graph: each box shows the engine's number and the "
               "truth; red numbers are outside what the engine's float format can attain.</figcaption></figure>")
    if item.get("snippet"):
        out.append(f"<details><summary>Python reproducer</summary><pre>{escape(item['snippet'])}</pre></details>")
    if item.get("reproducer"):
        out.append(f"<p>Reproducer file: <code>{escape(item['reproducer'])}</code></p>")
    out.append("</section>")
    return out


def _informational_list(items: list[dict[str, Any]]) -> list[str]:
    out = [f'<h2 id="informational">Informational findings ({len(items)})</h2>',
           "<p>Differences the oracle explains without blaming the engine; they never fail a campaign.</p>"]
    if not items:
        return out + ["<p>None.</p>"]
    out.append('<table class="informational"><thead><tr><th>engine</th><th>kind</th><th>expression</th>'
               "<th>inputs</th><th>message</th><th>seen</th></tr></thead><tbody>")
    for item in items:
        finding = (item["informational"] or [{"message": ""}])[0]
        out.append(f"<tr><td><code>{escape(item['engine'])}</code></td><td>{escape(item['kind'])}</td>"
                   f"<td><code>{escape(item['expression'])}</code></td><td>{escape(_inputs_text(item))}</td>"
                   f"<td>{escape(finding['message'])}</td><td class=\"num\">{item['count']}</td></tr>")
    out.append("</tbody></table>")
    return out


def render_html(record: dict[str, Any]) -> str:
    """Render a campaign record (``campaign_record`` or ``matrix_record``) as one self-contained HTML page."""
    divergences = record["divergences"]
    status = (f'<span class="bad">{len(divergences)} distinct divergence(s)</span>' if divergences
              else '<span class="good">every engine agrees with the truth</span>')
    body = ["<h1>gradoracle campaign</h1>",
            f"<p>Seed {record['seed']}, {record['seconds']} s"
            + (" (interrupted)" if record["interrupted"] else "") + f": {status}.</p>",
            '<h2 id="summary">Summary</h2>']
    body += _summary_table(record)
    body += _coverage_table(record)
    body += _convention_table(record)
    body.append(f'<h2 id="divergences">Divergences ({len(divergences)})</h2>')
    if not divergences:
        body.append("<p>None.</p>")
    ordered = sorted(divergences, key=lambda item: DIVERGENCE_KINDS.index(item["kind"])
                     if item["kind"] in DIVERGENCE_KINDS else len(DIVERGENCE_KINDS))
    for number, item in enumerate(ordered, start=1):
        body += _divergence_section(number, item)
    body += _informational_list(record["informational"])
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>gradoracle campaign</title><style>{STYLE}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")
