"""Draw expression DAGs node by node, as ``graphs`` and ``examples`` share it.

Every choice is drawn so that its simplest value is the simplest graph.
An operand shrinks toward the first input ``x`` and then toward the most
recent node, and the op toward the first op of the table.  The number of
nodes shrinks by deleting a node's draws.  The node count is not drawn up
front.  Before each node a "more" flag is drawn, as ``st.lists`` does, so
that deleting a node is a local shrink.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Sequence

from hypothesis import strategies as st

from oracle._graph import Const, Graph, Node, Operand
from oracle._ops import OPS

from ._values import Requirement, choices, draw_base, draw_constant, draw_exponent, integers_between

_NAMES = ("x", "y", "z", "w")

# Operand kinds, weighted by repetition.  "recent" is the latest node and
# "same" repeats the first operand (t*t).  "open" is the latest node that no
# node uses yet, which joins a side branch back in so few nodes are pruned.
# "parent" is a node that the latest node uses, so with "recent" as the other
# operand it closes a diamond.  "node" is any earlier node.  The first
# entry is the shrink target.
_FIRST_KINDS = ("input", "recent", "recent", "recent", "open", "node", "const")
_SECOND_KINDS = ("input", "recent", "same", "same", "open", "parent", "node", "const")


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
    return integers_between(0, k).map(bool)


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

    def draw_fresh_value(self, draw: Callable, requirement: Requirement) -> Optional[float]:
        """Draw the value an input gets if an operand slot with ``requirement`` uses it first."""
        return None

    def resolve_input(self, name: str, fresh_value: Optional[float]) -> str:
        """Return input ``name``, giving it ``fresh_value`` if it has no value yet."""
        return name

    def draw_rpow_base(self, draw: Callable, exponent: Operand) -> Const:
        return Const(draw_base(draw))

    def place(self, draw: Callable, op: str, args: list[Operand], room: int, chained: Optional[int]) -> bool:
        """Add the node; return False to end the graph before it.

        ``room`` is the number of nodes that may still be added and
        ``chained`` the operand slot forced onto the latest node, if any.
        """
        self.add(op, args)
        return True


def requirements(op: str, args: Sequence[Optional[Operand]]) -> tuple[Requirement, ...]:
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
    return (None, None)[: OPS[op].arity]


def _pow_base_requirement(exponent: float) -> Requirement:
    if exponent.is_integer():
        return None if exponent >= 0 else "nonzero"
    return "nonnegative" if exponent > 0 else "positive"


def _chained_slot(op: str) -> int:
    """Return the operand slot that continues a chain, which is never a constant slot."""
    return 1 if op == "rpow" else 0


@dataclass(frozen=True)
class OperandChoice:
    """The draws behind one operand; ``kind`` selects which of them is used."""

    kind: str
    input_index: int
    offset: int
    constant: float


def draw_choice(draw: Callable, builder: GraphBuilder, kinds: Sequence[str]) -> OperandChoice:
    """Draw an operand choice.

    Every part is drawn whatever the kind (only an arbitrary-float constant
    adds a draw), so that when the shrinker lowers the kind toward "input"
    the draws after it keep their meaning.
    """
    # Kind, input and offset share one integer draw, kind most significant,
    # which costs a third of the draws and still shrinks toward (input x).
    offsets = max(1, len(builder.nodes))
    per_kind = builder.max_inputs * offsets
    code = draw(integers_between(0, len(kinds) * per_kind - 1))
    kind = kinds[code // per_kind]
    input_index, offset = divmod(code % per_kind, offsets)
    return OperandChoice(kind, input_index, offset, draw_constant(draw))


def resolve(
    draw: Callable,
    builder: GraphBuilder,
    choice: OperandChoice,
    first: Optional[Operand],
    fresh_value: Optional[float],
) -> Operand:
    """Turn an operand choice into a constant, an input name or a node index."""
    kind = choice.kind
    latest = builder.latest
    if kind == "const":
        return Const(choice.constant)
    if kind == "same" and first is not None and not isinstance(first, Const):
        return first
    if kind == "recent" and latest is not None:
        return latest
    if kind == "node" and latest is not None:
        return latest - min(choice.offset, latest)
    if kind == "parent" and latest is not None:
        parents = [arg for arg in builder.nodes[latest].args if isinstance(arg, int)]
        return parents[0] if parents else latest
    if kind == "open" and latest is not None:
        side = builder.open_node(first)
        return side if side is not None else latest
    return builder.resolve_input(input_name(choice.input_index), fresh_value)


def draw_step(draw: Callable, builder: GraphBuilder, room: int, forced: bool) -> bool:
    """Draw one op and its operands, and place it; return False to stop.

    Each node draws the same parts whatever its op: two operand choices, an
    exponent, a value for each operand in case it is a new input, and an
    rpow base.  So shrinking the op or deleting an earlier node keeps the
    later draws aligned with their meaning.
    """
    op = draw(choices(builder.ops))
    entry = OPS[op]
    const_allowed = entry.arity == 2 and entry.constant is None and op != "powv"
    first_choice = draw_choice(draw, builder, _FIRST_KINDS if const_allowed else _FIRST_KINDS[:-1])
    second_kinds = _SECOND_KINDS
    if not const_allowed or first_choice.kind == "const":
        second_kinds = _SECOND_KINDS[:-1]
    second_choice = draw_choice(draw, builder, second_kinds)
    exponent = Const(draw_exponent(draw))

    chained = _chained_slot(op) if forced and builder.latest is not None else None
    slot_requirements = requirements(op, [None, exponent]) + (None,)
    fresh_values = [builder.draw_fresh_value(draw, slot_requirements[slot]) for slot in (0, 1)]

    def operand(slot: int, choice: OperandChoice, first: Optional[Operand]) -> Operand:
        if slot == chained:
            assert builder.latest is not None
            return builder.latest
        return resolve(draw, builder, choice, first, fresh_values[slot])

    if op == "pow":
        args = [operand(0, first_choice, None), exponent]
    elif op == "rpow":
        power = operand(1, first_choice, None)
        args = [builder.draw_rpow_base(draw, power), power]
    elif entry.arity == 1:
        args = [operand(0, first_choice, None)]
    else:
        first = operand(0, first_choice, None)
        args = [first, operand(1, second_choice, first)]
    if op != "rpow":
        draw_base(draw)  # unused, drawn so that every node has the same parts
    return builder.place(draw, op, args, room, chained)


def draw_nodes(draw: Callable, builder: GraphBuilder, min_nodes: int, max_nodes: int) -> None:
    """Draw nodes until a "more" flag stops it, keeping the live count in bounds.

    A node is drawn freely while the remaining room is at least
    ``min_nodes``.  After that each node chains onto the latest one, which
    adds at least one live node per node added, so the pruned graph always
    has between ``min_nodes`` and ``max_nodes`` nodes.
    """
    next_node = _next_node(builder, more_flags(max_nodes), min_nodes, max_nodes)
    while draw(next_node):
        pass


@st.composite
def _next_node(
    draw: Callable, builder: GraphBuilder, flags: st.SearchStrategy[bool], min_nodes: int, max_nodes: int
) -> bool:
    # One draw per node, flag included, makes each node one span of choices
    # that the shrinker can delete whole.
    room = max_nodes - len(builder.nodes)
    if builder.live_count() >= min_nodes and (room == 0 or not draw(flags)):
        return False
    return draw_step(draw, builder, room, forced=room < min_nodes)
