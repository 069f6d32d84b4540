"""A self-contained HTML report of a campaign record: tables and inline SVG graphs.

``render_html`` takes the same plain record as the JSON and Markdown
renderers (``campaign_record`` or ``matrix_record``) and returns one HTML
document with its style inline and no scripts, fonts or other files to load.

Each divergence gets a picture of its minimal graph, drawn here without a
layout library.  Inputs fill the first column and every node sits one column
right of its deepest operand.  Within a column, nodes are ordered by the mean
height of their operands, which keeps small shrunk graphs free of most
crossings.
The record stores the graph, the exact inputs and the engine's per-node
numbers but not the per-node truth, so the truth, the attainable balls and
the blamed node are computed again from the graph and inputs.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any, Optional

from ._graph import Const, Graph, point_from_json
from ._ops import OP_NAMES, OPS
from ._printing import format_number
from ._verdict import DIVERGENCE_KINDS

__all__ = ["render_html", "graph_svg"]

BOX_WIDTH = 260
NODE_HEIGHT = 92
INPUT_HEIGHT = 62
COLUMN_GAP = 70
ROW_GAP = 20
MARGIN = 12
#: Room above the first row for the "first wrong op" tag.
TOP = 26
LINE = 15

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


# --- numbers ----------------------------------------------------------------


def _float(value: Any) -> Optional[float]:
    """Read a record number: a float, "nan"/"inf"/"-inf" text, or None."""
    if value is None:
        return None
    return float(value)


def _short(value: Any) -> str:
    if value is None:
        return "-"
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        return str(number)
    from mpmath import mpf

    return _short_mpf(mpf(number))


def _short_mpf(value: Any) -> str:
    from mpmath import nstr

    return "-" if value is None else str(nstr(value, 10))


# --- the graph picture ------------------------------------------------------


class _Picture:
    """The per-node numbers of one divergence, engine and truth side by side."""

    def __init__(self, item: dict[str, Any]) -> None:
        from engines._result import EngineResult

        from ._localise import localise
        from ._truth import compute_truth

        self.graph = Graph.from_json(item["graph"])
        self.point = point_from_json(item["inputs"])
        self.dtype = item.get("dtype", "float64")
        result = item["result"]
        self.values = _float_list(result.get("node_values"))
        self.adjoints = _float_list(result.get("node_adjoints"))
        self.gradient = {name: _float(value) for name, value in (result.get("gradient") or {}).items()}
        self.truth = compute_truth(self.graph, self.point, finite_differences=False)
        self.attainable = self.truth.attainable(self.dtype) if self.truth.status in ("ok", "overflow") else None
        self.blamed: Optional[int] = None
        self.rule = ""
        if item.get("blame") and self.truth.status == "ok":
            engine_result = EngineResult(_float(result.get("value")), self.gradient, self.values, self.adjoints)
            blame = localise(self.truth, engine_result, self.dtype)
            if blame is not None:
                self.blamed, self.rule = blame.node, blame.rule

    def node_lines(self, index: int) -> list[tuple[str, str, str, bool]]:
        """(quantity, source, number, wrong) rows for node ``index``."""
        truth_value = self.truth.node_values[index] if index < len(self.truth.node_values) else None
        engine_value = None if self.values is None or index >= len(self.values) else self.values[index]
        engine_adjoint = None if self.adjoints is None or index >= len(self.adjoints) else self.adjoints[index]
        value_ball = None if self.attainable is None else self.attainable.values[index]
        adjoint_ball = None if self.attainable is None else self.attainable.adjoints[index]
        adjoint_truth = "-" if index >= len(self.truth.node_adjoints) else _adjoint_text(self.truth.node_adjoints[index])
        return [
            ("value", "engine", _short(engine_value), _outside(value_ball, engine_value)),
            ("", "truth", _short_mpf(truth_value), False),
            ("adjoint", "engine", _short(engine_adjoint), _outside(adjoint_ball, engine_adjoint)),
            ("", "truth", adjoint_truth, False),
        ]

    def input_lines(self, name: str) -> list[tuple[str, str, str, bool]]:
        entry = self.truth.gradient.get(name)
        engine_value = self.gradient.get(name)
        ball = None if self.attainable is None else self.attainable.gradient.get(name)
        if entry is None:
            truth_text = "-"
        elif not entry.defined:
            truth_text = "undefined"
        else:
            lo, hi = entry.admissible
            truth_text = _short_mpf(entry.value) if not entry.at_kink else f"[{_short_mpf(lo)}, {_short_mpf(hi)}]"
        return [
            ("gradient", "engine", _short(engine_value), _outside(ball, engine_value)),
            ("", "truth", truth_text, False),
        ]


def _float_list(values: Any) -> Optional[list[Optional[float]]]:
    return None if values is None else [_float(value) for value in values]


def _adjoint_text(ball: Any) -> str:
    """Format a truth adjoint as its centre, or as [lo, hi] when a kink leaves a range."""
    if ball.radius == 0:
        return _short_mpf(ball.centre)
    return f"[{_short_mpf(ball.lo)}, {_short_mpf(ball.hi)}]"


def _outside(ball: Any, value: Optional[float]) -> bool:
    """True when the engine produced ``value`` and it is outside the attainable ball."""
    if ball is None or value is None:
        return False
    return not ball.contains(value)


def _node_title(graph: Graph, index: int) -> str:
    node = graph.nodes[index]
    entry = OPS[node.op]
    parts = []
    for arg in node.args:
        if isinstance(arg, Const):
            parts.append(format_number(arg.value))
        elif isinstance(arg, str):
            parts.append(arg)
        else:
            parts.append(graph.node_label(arg))
    if entry.function is not None:
        text = f"{entry.function}({', '.join(parts)})"
    elif entry.arity == 1:
        text = f"-{parts[0]}"
    else:
        text = f"{parts[0]} {entry.symbol} {parts[1]}"
    return f"{graph.node_label(index)} = {text}"


def _layout(graph: Graph) -> tuple[dict[Any, tuple[float, float, float]], float, float]:
    """Place inputs and nodes: key (input name or node index) -> (x, y, height)."""
    used_inputs = [name for name in graph.inputs if graph.input_uses()[name]]
    column: dict[Any, int] = {name: 0 for name in used_inputs}
    for index, node in enumerate(graph.nodes):
        operands = [column[arg] for arg in node.args if not isinstance(arg, Const)]
        column[index] = 1 + max(operands, default=0)
    columns: dict[int, list[Any]] = {}
    for key, number in column.items():
        columns.setdefault(number, []).append(key)

    places: dict[Any, tuple[float, float, float]] = {}
    height = 0.0
    for number in sorted(columns):
        keys = columns[number]
        if number > 0:
            def centre_of_operands(index: int) -> float:
                ys = [places[arg][1] + places[arg][2] / 2 for arg in graph.nodes[index].args if not isinstance(arg, Const)]
                return sum(ys) / len(ys) if ys else 0.0

            keys = sorted(keys, key=lambda index: (centre_of_operands(index), index))
        y = float(TOP)
        x = MARGIN + number * (BOX_WIDTH + COLUMN_GAP)
        for key in keys:
            box_height = INPUT_HEIGHT if isinstance(key, str) else NODE_HEIGHT
            if number > 0:
                # Move down towards the operands' centre when that leaves room.
                wanted = centre_of_operands(key) - box_height / 2
                y = max(y, wanted)
            places[key] = (x, y, box_height)
            y += box_height + ROW_GAP
        height = max(height, y)
    width = MARGIN + (max(columns) + 1) * (BOX_WIDTH + COLUMN_GAP) - COLUMN_GAP + MARGIN
    return places, width, height + MARGIN - ROW_GAP


def _text_block(x: float, y: float, lines: list[tuple[str, str, str, bool]]) -> list[str]:
    """Rows of three aligned columns: quantity, engine or truth, number (SVG collapses spaces)."""
    parts = []
    for offset, (quantity, source, number, wrong) in enumerate(lines):
        baseline = y + offset * LINE
        if quantity:
            parts.append(f'<text x="{x:.1f}" y="{baseline:.1f}">{escape(quantity)}</text>')
        parts.append(f'<text x="{x + 62:.1f}" y="{baseline:.1f}">{escape(source)}</text>')
        css = ' class="bad"' if wrong else ""
        parts.append(f'<text{css} x="{x + 112:.1f}" y="{baseline:.1f}">{escape(number)}</text>')
    return parts


def graph_svg(item: dict[str, Any]) -> str:
    """Draw the graph of one divergence record as an SVG element with engine and truth numbers per node.

    The blamed node, when the record names one, gets the CSS class ``blamed``
    and a "first wrong op" tag.  Numbers outside what the engine's float
    format can attain get the class ``bad``.
    """
    picture = _Picture(item)
    graph = picture.graph
    places, width, height = _layout(graph)
    parts: list[str] = []

    for index, node in enumerate(graph.nodes):
        x, y, box_height = places[index]
        operands = [arg for arg in node.args if not isinstance(arg, Const)]
        for slot, arg in enumerate(operands):
            source_x, source_y, source_height = places[arg]
            start = (source_x + BOX_WIDTH, source_y + source_height / 2)
            end = (x, y + box_height * (slot + 1) / (len(operands) + 1))
            bend = (end[0] - start[0]) / 2
            parts.append(f'<path class="edge" marker-end="url(#arrow)" d="M{start[0]:.1f},{start[1]:.1f} '
                         f'C{start[0] + bend:.1f},{start[1]:.1f} {end[0] - bend:.1f},{end[1]:.1f} '
                         f'{end[0]:.1f},{end[1]:.1f}"/>')

    for key, (x, y, box_height) in places.items():
        if isinstance(key, str):
            parts.append(f'<g class="input" data-input="{escape(key)}">')
            parts.append(f'<rect class="input" x="{x:.1f}" y="{y:.1f}" width="{BOX_WIDTH}" '
                         f'height="{box_height}" rx="6"/>')
            title = f"{key} = {format_number(picture.point[key])}"
            parts.append(f'<text class="title" x="{x + 8:.1f}" y="{y + 17:.1f}">{escape(title)}</text>')
            parts += _text_block(x + 8, y + 17 + LINE + 2, picture.input_lines(key))
            parts.append("</g>")
            continue
        classes = ["node"]
        if key == graph.output:
            classes.append("output")
        if key == picture.blamed:
            classes.append("blamed")
        parts.append(f'<g class="{" ".join(classes)}" data-node="{key}">')
        parts.append(f'<rect class="{" ".join(classes)}" x="{x:.1f}" y="{y:.1f}" width="{BOX_WIDTH}" '
                     f'height="{box_height}" rx="6"/>')
        parts.append(f'<text class="title" x="{x + 8:.1f}" y="{y + 17:.1f}">'
                     f'{escape(_node_title(graph, key))}</text>')
        tags = [f"first wrong op ({picture.rule} rule)"] if key == picture.blamed else []
        tags += ["output"] if key == graph.output else []
        if tags:
            css = "tag" if key == picture.blamed else "output-tag"
            parts.append(f'<text class="{css}" x="{x + 2:.1f}" y="{y - 5:.1f}">{escape(", ".join(tags))}</text>')
        parts += _text_block(x + 8, y + 17 + LINE + 2, picture.node_lines(key))
        parts.append("</g>")

    label = f"graph of {graph.expression()}"
    header = (f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" width="{width:.0f}" height="{height:.0f}" '
              f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{escape(label)}">'
              '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
              'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#777"/></marker></defs>')
    return header + "".join(parts) + "</svg>"


# --- tables -----------------------------------------------------------------


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
            shown = "-" if value is None else _short(value)
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
