"""Rebuild a ``Graph`` from a graph that user code built with a micrograd-style engine.

The walk follows each object's children (micrograd's ``_prev``) and reads
its op label (micrograd's ``_op``).  Labels map to the op table: ``+ - * /``,
``**k`` (a constant exponent k), ``ReLU``, ``tanh``, ``exp`` and every op name
(``add``, ``sigmoid`` ...), case-insensitively.  A leaf that is one of the
named inputs becomes that input.  Any other leaf is a constant, and so is a
node whose operands are all constants.

micrograd keeps children in a set, which loses operand order.  For ``-``,
``/`` and ``**`` with two children the order is recovered by recomputing the
node's value both ways; when both orders give the value, the walk raises.
"""

from __future__ import annotations

import math
import operator
import re
from typing import Any, Callable, Mapping, Optional

from ._errors import InvalidArgument
from ._graph import Const, Graph, Node, Operand

__all__ = ["graph_from_objects", "CHILDREN_ATTRIBUTES", "LABEL_ATTRIBUTES"]

#: Attributes that hold an object's operands, in the order they are tried.
CHILDREN_ATTRIBUTES = ("_prev", "_children", "children", "_parents", "parents", "prev")
#: Attributes that hold an object's op label, in the order they are tried.
LABEL_ATTRIBUTES = ("_op", "op", "_operation", "operation")

_SYMBOLS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "powv"}
_ALIASES = {"relu": "relu", "negate": "neg", "pow": "powv", "sig": "sigmoid", "ln": "log"}
_EXPONENT = re.compile(r"^\*\*\s*(.+)$")
_COMMUTATIVE = {"add", "mul", "max", "min"}
_FORWARD: dict[str, Callable[[float, float], float]] = {
    "sub": operator.sub, "div": operator.truediv, "powv": operator.pow,
}


def _first_attribute(obj: Any, names: tuple[str, ...]) -> tuple[Optional[str], Any]:
    for name in names:
        if hasattr(obj, name):
            return name, getattr(obj, name)
    return None, None


def _data(obj: Any) -> float:
    value = getattr(obj, "data", None)
    try:
        return float(value() if callable(value) else value)
    except (TypeError, ValueError):
        raise InvalidArgument(f"{obj!r} has no numeric .data attribute; check_graph reads the value from .data") from None


def _op_name(label: Any, obj: Any) -> tuple[str, Optional[float]]:
    """Map an op label to (op name, constant exponent of a ``**k`` label or None)."""
    from ._ops import OPS

    text = str(label).strip()
    match = _EXPONENT.match(text)
    if match:
        try:
            return "pow", float(match.group(1))
        except ValueError:
            raise InvalidArgument(f"op label {text!r} of {obj!r}: the exponent {match.group(1)!r} is not a number") from None
    lowered = text.lower()
    name = _SYMBOLS.get(text) or _ALIASES.get(lowered) or (lowered if lowered in OPS else None)
    if name is None:
        raise InvalidArgument(
            f"op label {text!r} of {obj!r} is not supported; check_graph knows + - * / **k, "
            f"ReLU and the op names {', '.join(OPS)}")
    return name, None


def _children(obj: Any) -> tuple[list[Any], bool]:
    """Return the children and whether their order is meaningful (a set is not ordered)."""
    attribute, value = _first_attribute(obj, CHILDREN_ATTRIBUTES)
    if attribute is None:
        raise InvalidArgument(
            f"{type(obj).__name__} objects have none of the attributes {', '.join(CHILDREN_ATTRIBUTES)}; "
            "check_graph needs each value's operands, as micrograd keeps them in _prev")
    if callable(value):
        value = value()
    ordered = not isinstance(value, (set, frozenset))
    return list(value), ordered


def _order(name: str, node: Any, args: list[Operand], values: list[float]) -> list[Operand]:
    """Put two operands of a non-commutative op in the order that reproduces the node's value."""
    forward = _FORWARD.get(name)
    if forward is None:
        return args
    target = _data(node)
    matches = []
    for first, second in ((0, 1), (1, 0)):
        try:
            result = forward(values[first], values[second])
        except (ArithmeticError, ValueError):
            continue
        if isinstance(result, float) and (result == target or (math.isnan(result) and math.isnan(target))):
            matches.append([args[first], args[second]])
    if len(matches) != 1:
        raise InvalidArgument(
            f"cannot tell the operand order of {node!r}: its children are an unordered set and "
            f"{'both orders' if matches else 'neither order'} reproduce its value; keep children in a tuple")
    return matches[0]


def graph_from_objects(output: Any, inputs: Mapping[str, Any]) -> tuple[Graph, dict[str, float]]:
    """Walk ``output``'s graph and return it as a ``Graph`` plus the point of its inputs.

    Raises ``InvalidArgument`` naming the object and what is missing for a
    label the op table does not know, an object without children, or an
    operand order that cannot be recovered.
    """
    names = {id(obj): name for name, obj in inputs.items()}
    point = {name: _data(obj) for name, obj in inputs.items()}
    operands: dict[int, Operand] = {}
    nodes: list[Node] = []
    stack: list[tuple[Any, bool]] = [(output, False)]
    while stack:
        obj, expanded = stack.pop()
        if id(obj) in operands:
            continue
        if id(obj) in names:
            operands[id(obj)] = names[id(obj)]
            continue
        children, ordered = _children(obj)
        if not children:
            operands[id(obj)] = Const(_data(obj))
            continue
        if not expanded:
            stack.append((obj, True))
            stack.extend((child, False) for child in reversed(children) if id(child) not in operands)
            continue
        operands[id(obj)] = _add_node(obj, children, ordered, operands, nodes)
    graph_output = operands[id(output)]
    if not isinstance(graph_output, int) or graph_output != len(nodes) - 1:
        raise InvalidArgument(f"output {output!r} does not depend on any of the inputs {', '.join(inputs)}")
    return Graph(tuple(inputs), tuple(nodes)), point


def _add_node(obj: Any, children: list[Any], ordered: bool, operands: dict[int, Operand], nodes: list[Node]) -> Operand:
    from ._ops import OPS

    _, label = _first_attribute(obj, LABEL_ATTRIBUTES)
    if label is None:
        raise InvalidArgument(
            f"{type(obj).__name__} objects have none of the attributes {', '.join(LABEL_ATTRIBUTES)}; "
            "check_graph needs each value's op label, as micrograd keeps it in _op")
    args = [operands[id(child)] for child in children]
    values = [_data(child) for child in children]
    name, exponent = _op_name(label, obj)
    if exponent is not None:
        args, values = args + [Const(exponent)], values + [exponent]
    elif name == "sub" and len(args) == 1:
        name = "neg"
    elif not ordered and len(args) == 1 and OPS[name].arity == 2:
        args, values = args * 2, values * 2  # a set keeps one copy of x in x*x
    if len(args) != OPS[name].arity:
        hint = "; a power needs a label such as '**2' that records the exponent" if name in ("pow", "powv") else ""
        raise InvalidArgument(
            f"op label {label!r} of {obj!r} has {len(children)} operand(s), but {name} takes {OPS[name].arity}{hint}")
    if all(isinstance(arg, Const) for arg in args):
        return Const(_data(obj))
    if not ordered and name not in _COMMUTATIVE and len(args) == 2 and exponent is None:
        args = _order(name, obj, args, values)
    if name == "powv" and isinstance(args[1], Const):
        name = "pow"
    elif name == "powv" and isinstance(args[0], Const):
        name = "rpow"
    nodes.append(Node(name, tuple(args)))
    return len(nodes) - 1
