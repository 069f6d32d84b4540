"""Runnable Python snippets that reproduce an example on a micrograd-style engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from ._graph import Const, Graph, Point
from ._ops import OPS

__all__ = ["ValueApi", "python_snippet"]


@dataclass(frozen=True)
class ValueApi:
    """The spelling of a micrograd-style class: enough to write a snippet for it."""

    module: str = "engines.reference"
    cls: str = "Value"
    backward: str = "backward"
    grad: str = "grad"
    data: str = "data"
    #: Method name per op for ops written as methods (op name -> method).
    methods: dict[str, str] = field(default_factory=dict)
    #: Directory to put first on sys.path, for engines loaded from a folder.
    path: Optional[str] = None


def _operand(arg, names: list[str]) -> str:
    if isinstance(arg, Const):
        return repr(arg.value)
    if isinstance(arg, str):
        return arg
    return names[arg]


def _call(op_name: str, args: list[str], api: ValueApi) -> str:
    entry = OPS[op_name]
    if op_name == "neg":
        return f"-{args[0]}"
    if entry.symbol is not None:
        return f"{args[0]} {entry.symbol} {args[1]}"
    method = api.methods.get(op_name, op_name)
    if method == "__abs__":
        return f"abs({args[0]})"
    if entry.arity == 1:
        return f"{args[0]}.{method}()"
    return f"{args[0]}.{method}({args[1]})"


def python_snippet(graph: Graph, point: Point, api: Optional[ValueApi] = None,
                   truth_lines: Optional[list[str]] = None, state_check: Optional[str] = None) -> str:
    """Return a script that builds ``graph`` at ``point`` and prints the value and gradients.

    Binary ops whose left operand is a constant are written with the
    constant on the left, so the script exercises the reflected operator.
    ``state_check`` ("backward twice" or "reuse after backward") adds the
    second call that shows a defect of state kept across calls.
    """
    api = api or ValueApi()
    lines = []
    if api.path:
        lines += ["import sys", f"sys.path.insert(0, {api.path!r})"]
    lines.append(f"from {api.module} import {api.cls}")
    lines.append("")
    for name in graph.inputs:
        lines.append(f"{name} = {api.cls}({point[name]!r})")
    names = [graph.node_label(index) for index in range(len(graph.nodes))]
    taken = set(graph.inputs)
    for index, node in enumerate(graph.nodes):
        if names[index] in taken:
            names[index] = f"n{index}"
        taken.add(names[index])
        args = [_operand(arg, names) for arg in node.args]
        if isinstance(node.args[0], Const) and OPS[node.op].function is not None:
            args[0] = f"{api.cls}({args[0]})"
        lines.append(f"{names[index]} = {_call(node.op, args, api)}")
    output = names[-1]
    lines.append(f"{output}.{api.backward}()")
    if state_check == "backward twice":
        lines.append(f"{output}.{api.backward}()  # a second call must give the same gradients (or twice them)")
    elif state_check == "reuse after backward":
        lines.append(f"reused = {output} * 2.0  # build on a node of the graph that already ran backward")
        lines.append(f"reused.{api.backward}()  # the leaves must get d(reused)/d(leaf) (plus the old gradient)")
    lines.append("")
    lines.append(f"print('value', {output}.{api.data})")
    for name in graph.inputs:
        lines.append(f"print('d/d{name}', {name}.{api.grad})")
    if truth_lines:
        lines.append("# truth:")
        lines.extend(f"#   {line}" for line in truth_lines)
    return "\n".join(lines) + "\n"
