"""Draw expression DAGs node by node, as ``graphs`` and ``examples`` share it.

Every choice is drawn so that its simplest value is the simplest graph:
an operand shrinks toward the first input ``x`` and then toward the most
recent node, the op toward the first op of the table, and the number of
nodes shrinks by deleting a node's draws.  The node count is not drawn up
front.  Before each node a "more" flag is drawn, as ``st.lists`` does, so
that deleting a node is a local shrink.
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence

from hypothesis import strategies as st

from oracle._graph import Const, Graph, Node, Operand
from oracle._ops import OPS

from ._values import Requirement, binary_constants, pow_exponents, rpow_bases

_NAMES = ("x", "y", "z", "w")

# Operand kinds, weighted by repetition.  "recent" is the latest node,
# "same" repeats the first operand (t*t), "open" is the latest node that no
# node uses yet (it joins a side branch back in, so few nodes are pruned and
# diamonds are common) and "node" is any earlier node.  The first entry is
# the shrink target.
_FIRST_KINDS = ("input", "recent", "recent", "recent", "open", "node", "const")
_SECOND_KINDS = ("input", "recent", "same", "same", "open", "open", "node", "const")


def input_name(index: int) -> str:
    """Return the name of input ``index``: x, y, z, w, then x4, x5, ..."""
    return _NAMES[index] if index < len(_NAMES) else f"x{index}"


def more_flags(max_nodes: int) -> st.SearchStrategy[bool]:
    """Flags that continue a graph; False (stop) is the shrink target.

    Continuing has probability k/(k+1) with k = max_nodes - 2.  With the
    default ``max_nodes=12`` about 7 nodes are drawn on average and about 5
    remain after pruning (measured over 300 draws).
    """
    k = max(1, max_nodes - 2)
    return st.integers(0, k).map(bool)


class GraphBuilder:
    """Nodes drawn so far, with the set of nodes each one depends on."""

    def __init__(self, ops: Sequence[str], max_inputs: int) -> None:
        self.ops = tuple(ops)
        self.max_inputs = max_inputs
        self.nodes: list[Node] = []
        # Bit i of ancestors[j] is set when node j depends on node i (or i == j).
        self.ancestors: list[int] = []
        self.unused: list[int] = []  # indices of nodes that no later node uses

    @property
    def latest(self) -> Optional[int]:
        return len(self.nodes) - 1 if self.nodes else None

    def live_count(self) -> int:
        """Number of nodes that the latest node depends on, itself included."""
        return bin(self.ancestors[-1]).count("1") if self.nodes else 0

    def add(self, op: str, args: Sequence[Operand]) -> int:
        """Append a node and return its index."""
        mask = 1 << len(self.nodes)
        for arg in args:
            if isinstance(arg, int):
                mask |= self.ancestors[arg]
                if arg in self.unused:
                    self.unused.remove(arg)
        self.nodes.append(Node(op, tuple(args)))
        self.ancestors.append(mask)
        self.unused.append(len(self.nodes) - 1)
        return len(self.nodes) - 1

    def open_node(self, exclude: Optional[Operand]) -> Optional[int]:
        """Return the latest unused node other than the latest node and ``exclude``."""
        for index in reversed(self.unused[-3:]):
            if index != self.latest and index != exclude:
                return index
        return None

    def finish(self) -> Graph:
        """Return the graph that ends at the latest node, pruned to what it uses."""
        graph = Graph(tuple(input_name(i) for i in range(self.max_inputs)), tuple(self.nodes)).pruned()
        used = {arg for node in graph.nodes for arg in node.args if isinstance(arg, str)}
        return Graph(tuple(name for name in graph.inputs if name in used), graph.nodes)

    # --- hooks that ``examples`` overrides to keep values in their domains ---

    def draw_input(self, draw: Callable, requirement: Requirement) -> str:
        """Draw an input for an operand slot that has ``requirement``."""
        return input_name(draw(st.integers(0, self.max_inputs - 1)))

    def draw_rpow_base(self, draw: Callable, exponent: Operand) -> Const:
        return Const(draw(rpow_bases()))

    def place(self, draw: Callable, op: str, args: list[Operand], room: int, chained: Optional[int]) -> bool:
        """Add the node; return False to end the graph before it.

        ``room`` is the number of nodes that may still be added and
        ``chained`` the operand slot forced onto the latest node, if any.
        """
        self.add(op, args)
        return True


def requirements(op: str, args: Sequence[Operand]) -> tuple[Requirement, ...]:
    """Return the domain requirement on each operand of ``op``.

    Together these are exactly the op table's domains: pow's requirement on
    its base depends on the constant exponent, and rpow needs no requirement
    because its base constant is chosen to fit the exponent.
    """
    if op == "log":
        return ("positive",)
    if op == "sqrt":
        return ("nonnegative",)
    if op == "div":
        return (None, "nonzero")
    if op == "powv":
        return ("positive", None)
    if op == "pow":
        exponent = args[1]
        assert isinstance(exponent, Const)
        return (_pow_base_requirement(exponent.value), None)
    return (None,) * OPS[op].arity


def _pow_base_requirement(exponent: float) -> Requirement:
    if exponent.is_integer():
        return None if exponent >= 0 else "nonzero"
    return "nonnegative" if exponent > 0 else "positive"


def _chained_slot(op: str) -> int:
    """The operand slot that continues a chain: never a constant slot."""
    return 1 if op == "rpow" else 0


def draw_variable(
    draw: Callable, builder: GraphBuilder, kind: str, first: Optional[Operand], requirement: Requirement
) -> Operand:
    """Turn an operand kind into an input name or a node index."""
    if kind == "same" and first is not None and not isinstance(first, Const):
        return first
    latest = builder.latest
    if kind == "recent" and latest is not None:
        return latest
    if kind == "node" and latest is not None:
        return latest - draw(st.integers(0, latest))
    if kind == "open" and latest is not None:
        side = builder.open_node(first)
        return side if side is not None else latest
    return builder.draw_input(draw, requirement)


def draw_step(draw: Callable, builder: GraphBuilder, room: int, forced: bool) -> bool:
    """Draw one op and its operands, and place it; return False to stop."""
    op = draw(st.sampled_from(builder.ops))
    entry = OPS[op]
    chained = _chained_slot(op) if forced and builder.latest is not None else None
    args: list[Operand] = []

    if op == "pow":
        exponent = Const(draw(pow_exponents()))
        base_requirement = _pow_base_requirement(exponent.value)
        args = [_operand(draw, builder, 0, chained, _FIRST_KINDS[:-1], None, base_requirement), exponent]
    elif op == "rpow":
        exponent = _operand(draw, builder, 1, chained, _FIRST_KINDS[:-1], None, None)
        args = [builder.draw_rpow_base(draw, exponent), exponent]
    elif entry.arity == 1:
        args = [_operand(draw, builder, 0, chained, _FIRST_KINDS[:-1], None, requirements(op, [None])[0])]
    else:
        slot_requirements = requirements(op, [None, None])
        const_allowed = op != "powv"
        first_kinds = _FIRST_KINDS if const_allowed else _FIRST_KINDS[:-1]
        first = _operand(draw, builder, 0, chained, first_kinds, None, slot_requirements[0])
        second_kinds = _SECOND_KINDS
        if not const_allowed or isinstance(first, Const):
            second_kinds = tuple(kind for kind in _SECOND_KINDS if kind != "const")
        second = _operand(draw, builder, 1, chained, second_kinds, first, slot_requirements[1])
        args = [first, second]
    return builder.place(draw, op, args, room, chained)


def _operand(
    draw: Callable,
    builder: GraphBuilder,
    slot: int,
    chained: Optional[int],
    kinds: Sequence[str],
    first: Optional[Operand],
    requirement: Requirement,
) -> Operand:
    if chained == slot:
        latest = builder.latest
        assert latest is not None
        return latest
    kind = draw(st.sampled_from(kinds))
    if kind == "const":
        return Const(draw(binary_constants()))
    return draw_variable(draw, builder, kind, first, requirement)


def draw_nodes(draw: Callable, builder: GraphBuilder, min_nodes: int, max_nodes: int) -> None:
    """Draw nodes until a "more" flag stops it, keeping the live count in bounds.

    A node is drawn freely while the remaining room is at least
    ``min_nodes``.  After that each node chains onto the latest one, which
    adds at least one live node per node added, so the pruned graph always
    has between ``min_nodes`` and ``max_nodes`` nodes.
    """
    flags = more_flags(max_nodes)
    while True:
        room = max_nodes - len(builder.nodes)
        if builder.live_count() >= min_nodes and (room == 0 or not draw(flags)):
            return
        if not draw_step(draw, builder, room, forced=room < min_nodes):
            return
