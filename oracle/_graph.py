"""The graph IR: expression DAGs over named inputs, with an exact JSON form.

A graph is a list of nodes in topological order.  Each node names an op from
the op table and lists its operands; an operand is an input name (``str``),
the index of an earlier node (``int``) or a literal constant (``Const``).
The last node is the output.  A node may feed several later nodes, and the
same node may be both operands of one op (``a*a``): shared subexpressions are
first-class because that is where most engine bugs live.
"""

from __future__ import annotations

import keyword
import math
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Optional, Union

from ._errors import InvalidArgument
from ._ops import OPS

__all__ = [
    "Const",
    "Node",
    "Graph",
    "Operand",
    "Point",
    "GRAPH_FORMAT",
    "float_to_json",
    "float_from_json",
    "point_to_json",
    "point_from_json",
]

GRAPH_FORMAT = "gradoracle.graph/1"

#: Names that cannot be inputs because expressions use them as functions.
RESERVED_NAMES = frozenset(
    entry.function for entry in OPS.values() if entry.function is not None
)


@dataclass(frozen=True)
class Const:
    """A literal float64 constant operand."""

    value: float

    def __post_init__(self) -> None:
        if not isinstance(self.value, float) or not math.isfinite(self.value):
            raise InvalidArgument(f"constant value={self.value!r} must be a finite float")


Operand = Union[str, int, Const]
Point = Mapping[str, float]


@dataclass(frozen=True)
class Node:
    """One op applied to its operands; ``name`` is an optional label for printing."""

    op: str
    args: tuple[Operand, ...]
    name: Optional[str] = None


@dataclass(frozen=True)
class Graph:
    """A validated expression DAG; its output is the last node.

    Construction checks every rule (op names, arity, references only to
    earlier nodes or declared inputs, constants only where the op allows them)
    and raises ``InvalidArgument`` naming the offending node.
    """

    inputs: tuple[str, ...]
    nodes: tuple[Node, ...]
    _uses: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs", tuple(self.inputs))
        object.__setattr__(self, "nodes", tuple(self.nodes))
        _validate(self)
        uses = [0] * len(self.nodes)
        for node in self.nodes:
            for arg in node.args:
                if isinstance(arg, int):
                    uses[arg] += 1
        object.__setattr__(self, "_uses", tuple(uses))

    @property
    def output(self) -> int:
        """Index of the output node."""
        return len(self.nodes) - 1

    def uses(self, index: int) -> int:
        """Number of operand slots that read node ``index``."""
        return self._uses[index]

    def ops_used(self) -> frozenset[str]:
        return frozenset(node.op for node in self.nodes)

    def input_uses(self) -> dict[str, int]:
        counts = {name: 0 for name in self.inputs}
        for node in self.nodes:
            for arg in node.args:
                if isinstance(arg, str):
                    counts[arg] += 1
        return counts

    def node_label(self, index: int) -> str:
        """Return the label printed for node ``index``: its own name, else ``t<index>``."""
        name = self.nodes[index].name
        return name if name is not None else f"t{index}"

    def pruned(self) -> "Graph":
        """Return the graph without nodes the output does not depend on."""
        live = [False] * len(self.nodes)
        live[self.output] = True
        for index in range(self.output, -1, -1):
            if live[index]:
                for arg in self.nodes[index].args:
                    if isinstance(arg, int):
                        live[arg] = True
        if all(live):
            return self
        new_index: dict[int, int] = {}
        nodes: list[Node] = []
        for index, node in enumerate(self.nodes):
            if live[index]:
                new_index[index] = len(nodes)
                args = tuple(new_index[a] if isinstance(a, int) else a for a in node.args)
                nodes.append(Node(node.op, args, node.name))
        return Graph(self.inputs, tuple(nodes))

    # --- JSON ---------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """Return the versioned JSON form; constants carry decimal and hex text."""
        nodes = []
        for node in self.nodes:
            entry: dict[str, Any] = {"op": node.op, "args": [_operand_to_json(a) for a in node.args]}
            if node.name is not None:
                entry["name"] = node.name
            nodes.append(entry)
        return {"format": GRAPH_FORMAT, "inputs": list(self.inputs), "nodes": nodes}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Graph":
        """Build a graph from its JSON form, rejecting other formats."""
        if not isinstance(data, Mapping):
            raise InvalidArgument(f"graph JSON must be an object, got {type(data).__name__}")
        fmt = data.get("format")
        if fmt != GRAPH_FORMAT:
            raise InvalidArgument(
                f"graph format={fmt!r} is not supported; expected {GRAPH_FORMAT!r}"
            )
        try:
            inputs = tuple(data["inputs"])
            nodes = tuple(
                Node(
                    entry["op"],
                    tuple(_operand_from_json(a) for a in entry["args"]),
                    entry.get("name"),
                )
                for entry in data["nodes"]
            )
        except (KeyError, TypeError) as error:
            raise InvalidArgument(f"graph JSON is missing or mistypes a field: {error}") from None
        return cls(inputs, nodes)

    def expression(self) -> str:
        """Return the graph as text, naming shared nodes (``t1 = a*b; L = t1*t1``)."""
        from ._printing import format_graph

        return format_graph(self)

    def __str__(self) -> str:
        return self.expression()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis prints failing examples through this hook; a deep chain's
        # full repr is tens of kilobytes, so show its size and a prefix.
        text = self.expression()
        shown = text if len(text) <= 300 else text[:300] + " ..."
        printer.text(f"Graph({len(self.nodes)} nodes: {shown})")

    def walk(self) -> Iterator[tuple[int, Node]]:
        return iter(enumerate(self.nodes))


def _operand_to_json(arg: Operand) -> Any:
    if isinstance(arg, Const):
        return {"const": float_to_json(arg.value)}
    return arg


def _operand_from_json(data: Any) -> Operand:
    if isinstance(data, bool):
        raise InvalidArgument(f"operand={data!r} must be an input name, a node index or a constant")
    if isinstance(data, (str, int)):
        return data
    if isinstance(data, Mapping) and "const" in data:
        return Const(float_from_json(data["const"]))
    raise InvalidArgument(f"operand={data!r} must be an input name, a node index or a constant")


def _validate(graph: Graph) -> None:
    seen: set[str] = set()
    for name in graph.inputs:
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            raise InvalidArgument(f"input name={name!r} must be a Python identifier")
        if name in RESERVED_NAMES:
            raise InvalidArgument(f"input name={name!r} is a function name; rename the input")
        if name in seen:
            raise InvalidArgument(f"input name={name!r} is declared twice")
        seen.add(name)
    if not graph.nodes:
        raise InvalidArgument("a graph needs at least one node; the output must be computed by an op")
    for index, node in enumerate(graph.nodes):
        where = f"node {index} ({node.op})"
        entry = OPS.get(node.op)
        if entry is None:
            raise InvalidArgument(f"{where}: op={node.op!r} is not in the op table")
        if len(node.args) != entry.arity:
            raise InvalidArgument(f"{where}: takes {entry.arity} operands, got {len(node.args)}")
        for position, arg in enumerate(node.args):
            if isinstance(arg, bool) or not isinstance(arg, (str, int, Const)):
                raise InvalidArgument(f"{where}: operand {position}={arg!r} has an unknown type")
            if isinstance(arg, int) and not 0 <= arg < index:
                raise InvalidArgument(
                    f"{where}: operand {position}={arg} must refer to an earlier node"
                )
            if isinstance(arg, str) and arg not in seen:
                raise InvalidArgument(f"{where}: operand {position}={arg!r} is not a declared input")
        constants = [isinstance(arg, Const) for arg in node.args]
        if entry.constant == "left" and not constants[0]:
            raise InvalidArgument(f"{where}: the base must be a constant (use powv for a variable base)")
        if entry.constant == "right" and not constants[1]:
            raise InvalidArgument(f"{where}: the exponent must be a constant (use powv)")
        if entry.constant is None and node.op == "powv" and any(constants):
            raise InvalidArgument(f"{where}: powv takes two variables; use pow or rpow for a constant")
        if all(constants):
            raise InvalidArgument(f"{where}: every operand is a constant; fold it into one constant")


# --- exact floats in JSON ---------------------------------------------------


def float_to_json(value: float) -> dict[str, str]:
    """Return a float as shortest round-trip decimal text plus its exact hex form."""
    return {"decimal": repr(float(value)), "hex": float(value).hex()}


def float_from_json(data: Any) -> float:
    """Read a float written by ``float_to_json`` (or a bare JSON number).

    When both forms are present they must agree, so a hand-edited file cannot
    silently change an input.
    """
    if isinstance(data, bool):
        raise InvalidArgument(f"float value={data!r} must be a number or a decimal/hex object")
    if isinstance(data, (int, float)):
        return float(data)
    if isinstance(data, str) and data in ("nan", "inf", "-inf", "+inf"):
        return float(data)
    if not isinstance(data, Mapping) or not ("hex" in data or "decimal" in data):
        raise InvalidArgument(f"float value={data!r} must be a number or a decimal/hex object")
    try:
        from_hex = float.fromhex(data["hex"]) if "hex" in data else None
        from_decimal = float(data["decimal"]) if "decimal" in data else None
    except (TypeError, ValueError):
        raise InvalidArgument(f"float value={data!r} has unreadable decimal or hex text") from None
    if from_hex is not None and from_decimal is not None and from_hex != from_decimal:
        if not (math.isnan(from_hex) and math.isnan(from_decimal)):
            raise InvalidArgument(
                f"float value={data!r}: decimal and hex forms disagree; fix or drop one"
            )
    return from_hex if from_hex is not None else from_decimal  # type: ignore[return-value]


def point_to_json(point: Point) -> dict[str, dict[str, str]]:
    return {name: float_to_json(value) for name, value in point.items()}


def point_from_json(data: Any) -> dict[str, float]:
    if not isinstance(data, Mapping):
        raise InvalidArgument(f"point={data!r} must be an object mapping input names to floats")
    return {str(name): float_from_json(value) for name, value in data.items()}
