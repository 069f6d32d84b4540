"""Draw a divergence's minimal graph as an inline SVG picture.

Drawn here without a layout library.  Inputs fill the first column and every
node sits one column right of its deepest operand.  Within a column, nodes
are ordered by the mean height of their operands, which keeps small shrunk
graphs free of most crossings.  The record stores the graph, the exact inputs
and the engine's per-node numbers but not the per-node truth, so the truth,
the attainable balls and the blamed node are computed again here.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any, Optional

from ._graph import Const, Graph, point_from_json
from ._ops import OPS
from ._printing import format_number

__all__ = ["graph_svg", "short_number"]

BOX_WIDTH = 260
NODE_HEIGHT = 92
INPUT_HEIGHT = 62
COLUMN_GAP = 70
ROW_GAP = 20
MARGIN = 12
#: Room above the first row for the "first wrong op" tag.
TOP = 26
LINE = 15

# --- numbers ----------------------------------------------------------------


def _float(value: Any) -> Optional[float]:
    """Read a record number: a float, "nan"/"inf"/"-inf" text, or None."""
    if value is None:
        return None
    return float(value)


def short_number(value: Any) -> str:
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
            ("value", "engine", short_number(engine_value), _outside(value_ball, engine_value)),
            ("", "truth", _short_mpf(truth_value), False),
            ("adjoint", "engine", short_number(engine_adjoint), _outside(adjoint_ball, engine_adjoint)),
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
            ("gradient", "engine", short_number(engine_value), _outside(ball, engine_value)),
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
