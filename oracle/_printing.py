"""Print graphs as expressions that the parser reads back to the same graph."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._graph import Const, Operand
from ._ops import OPS

if TYPE_CHECKING:
    from ._graph import Graph

__all__ = ["format_graph", "format_number"]

# Binding strength: a higher number binds tighter.
_ADDITIVE, _MULTIPLICATIVE, _UNARY, _POWER, _ATOM = 1, 2, 3, 4, 5
_INFIX_PRECEDENCE = {"+": _ADDITIVE, "-": _ADDITIVE, "*": _MULTIPLICATIVE, "/": _MULTIPLICATIVE, "**": _POWER}


def format_number(value: float) -> str:
    """Return the shortest text that reads back as exactly ``value``."""
    if value == 0:
        return "-0.0" if str(value).startswith("-") else "0"
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def format_graph(graph: "Graph") -> str:
    """Return ``graph`` as text; nodes used more than once are bound to names first.

    Without shared nodes the result is a bare expression such as ``(a*b + c)*f``.
    With shared nodes each one is bound before use and the output is ``L``:
    ``t1 = a*b; L = t1*t1 + c``.
    """
    named = [graph.uses(index) > 1 for index in range(len(graph.nodes))]
    labels = _labels(graph, named)
    rendered: dict[int, tuple[str, int]] = {}
    statements: list[str] = []

    def operand_text(arg: Operand) -> tuple[str, int]:
        if isinstance(arg, Const):
            text = format_number(arg.value)
            return text, _UNARY if text.startswith("-") else _ATOM
        if isinstance(arg, str):
            return arg, _ATOM
        if named[arg]:
            return labels[arg], _ATOM
        return rendered[arg]

    for index, node in enumerate(graph.nodes):
        rendered[index] = _render(node.op, [operand_text(a) for a in node.args])
        if named[index] and index != graph.output:
            statements.append(f"{labels[index]} = {rendered[index][0]}")

    output_text = rendered[graph.output][0]
    if not statements:
        return output_text
    output_name = graph.nodes[graph.output].name or "L"
    return "; ".join(statements + [f"{output_name} = {output_text}"])


def _labels(graph: "Graph", named: list[bool]) -> dict[int, str]:
    taken = set(graph.inputs) | {node.name for node in graph.nodes if node.name}
    labels: dict[int, str] = {}
    counter = 1
    for index, node in enumerate(graph.nodes):
        if not named[index]:
            continue
        if node.name is not None:
            labels[index] = node.name
            continue
        while f"t{counter}" in taken:
            counter += 1
        labels[index] = f"t{counter}"
        taken.add(labels[index])
        counter += 1
    return labels


def _wrap(part: tuple[str, int], minimum: int) -> str:
    text, precedence = part
    return text if precedence >= minimum else f"({text})"


def _render(op_name: str, parts: list[tuple[str, int]]) -> tuple[str, int]:
    entry = OPS[op_name]
    if entry.function is not None:
        return f"{entry.function}({', '.join(text for text, _ in parts)})", _ATOM
    if entry.arity == 1:  # neg
        return f"-{_wrap(parts[0], _POWER)}", _UNARY
    symbol = entry.symbol
    assert symbol is not None
    precedence = _INFIX_PRECEDENCE[symbol]
    left, right = parts
    if symbol == "**":
        # Right-associative: the base needs an atom, the exponent may be unary.
        text = f"{_wrap(left, _ATOM)}**{_wrap(right, _UNARY)}"
    elif symbol in ("-", "/"):
        text = _join(symbol, _wrap(left, precedence), _wrap(right, precedence + 1))
    else:
        text = _join(symbol, _wrap(left, precedence), _wrap(right, precedence))
    return text, precedence


def _join(symbol: str, left: str, right: str) -> str:
    if symbol in "+-":
        return f"{left} {symbol} {right}"
    return f"{left}{symbol}{right}"
