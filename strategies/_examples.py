"""The ``examples`` strategy: a graph and a point that keep every op in its domain.

The graph and the point are built together, node by node.  An input gets
its value when an operand first uses it, drawn inside that operand's
domain, and every node's exact value is computed as it is added.  When an
operand's value is outside the domain an op needs, the operand is wrapped
in a repair op from the allowed ops (``log(t)`` becomes ``log(abs(t))``,
``log(exp(t))``, ``sqrt(t*t)``, ``sqrt(relu(t))`` ...), or another operand
whose value fits is used instead.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Optional

from hypothesis import reject
from hypothesis import strategies as st

from oracle._errors import InvalidArgument
from oracle._graph import Const, Graph, Operand
from oracle._ops import OPS

from ._build import GraphBuilder, draw_nodes, input_name, requirements
from ._chain import ChainStep, draw_chain
from ._exact import Mpf, exact_value, new_context
from ._graphs import DEFAULT_MAX_DEPTH
from ._validate import check_depth, check_int, check_node_bounds, check_ops
from ._values import Requirement, draw_base, input_values, integers_between, satisfies

# Unary repairs, in shrink order; "mul" squares the operand (t*t).  Each is
# used only where its exact result meets the requirement.
_REPAIR_OPS = ("abs", "neg", "mul", "relu", "exp", "sigmoid", "cos")

_FRESH = "fresh input"


class ExampleBuilder(GraphBuilder):
    """A graph builder that also draws the point and tracks exact node values."""

    def __init__(self, ops: tuple[str, ...], max_inputs: int, special: bool) -> None:
        super().__init__(ops, max_inputs)
        self.ctx = new_context()
        self.special = special
        self.point: dict[str, float] = {}
        self.values: list[Mpf] = []

    def value_of(self, operand: Operand) -> Mpf:
        if isinstance(operand, Const):
            return self.ctx.mpf(operand.value)
        if isinstance(operand, str):
            return self.ctx.mpf(self.point[operand])
        return self.values[operand]

    def ensure_input(self, draw: Callable, name: str, requirement: Requirement) -> str:
        """Draw the value of input ``name`` on its first use, inside ``requirement``."""
        if name not in self.point:
            self.point[name] = self.draw_fresh_value(draw, requirement)
        return name

    def draw_fresh_value(self, draw: Callable, requirement: Requirement) -> Optional[float]:
        strategy = input_values(list(self.point.values()), special=self.special, requirement=requirement)
        return draw(strategy)

    def resolve_input(self, name: str, fresh_value: Optional[float]) -> str:
        if name not in self.point:
            assert fresh_value is not None
            self.point[name] = fresh_value
        return name

    def draw_rpow_base(self, draw: Callable, exponent: Operand) -> Const:
        # 0**a is inside the domain only for a > 0, so base 0 needs that.
        return Const(draw_base(draw, allow_zero=bool(self.value_of(exponent) > 0)))

    def add_valued(self, op: str, args: list[Operand], value: Mpf) -> int:
        self.values.append(value)
        return self.add(op, args)

    def place(self, draw: Callable, op: str, args: list[Operand], room: int, chained: Optional[int]) -> bool:
        spare = room - 1  # nodes left for a repair op
        for slot, requirement in enumerate(requirements(op, args)):
            if satisfies(requirement, self.value_of(args[slot])):
                continue
            if isinstance(args[slot], Const):
                # Only a divisor can be a constant here; 1.0 meets every requirement.
                args[slot] = Const(1.0)
                continue
            repaired = self._repair(draw, args[slot], requirement) if spare > 0 else None
            if repaired is not None:
                args[slot] = repaired
                spare -= 1
                continue
            if slot == chained:
                reject()
            args[slot] = self._alternative(draw, requirement)
        values = [self.value_of(arg) for arg in args]
        reason = OPS[op].domain(self.ctx, *values)
        assert reason is None, f"requirements({op!r}) missed a domain rule: {reason}"
        value = exact_value(self.ctx, op, values)
        if value is None:
            return False
        self.add_valued(op, args, value)
        return True

    def _repair(self, draw: Callable, operand: Operand, requirement: Requirement) -> Optional[int]:
        """Wrap ``operand`` in a repair op whose value meets ``requirement``."""
        value = self.value_of(operand)
        options: list[tuple[str, list[Operand], Mpf]] = []
        for op in _REPAIR_OPS:
            if op not in self.ops:
                continue
            args: list[Operand] = [operand, operand] if op == "mul" else [operand]
            repaired = exact_value(self.ctx, op, [value] * len(args))
            if repaired is not None and satisfies(requirement, repaired):
                options.append((op, args, repaired))
        if not options:
            return None
        op, args, repaired = options[draw(integers_between(0, len(options) - 1))]
        return self.add_valued(op, args, repaired)

    def _alternative(self, draw: Callable, requirement: Requirement) -> Operand:
        """Draw another input or node whose value meets ``requirement``."""
        candidates: list[Any] = [name for name in self.point if satisfies(requirement, self.value_of(name))]
        if len(self.point) < self.max_inputs:
            candidates.append(_FRESH)
        candidates.extend(i for i in range(len(self.nodes)) if satisfies(requirement, self.values[i]))
        if not candidates:
            reject()
        choice = candidates[draw(integers_between(0, len(candidates) - 1))]
        if choice == _FRESH:
            fresh = next(input_name(i) for i in range(self.max_inputs) if input_name(i) not in self.point)
            return self.ensure_input(draw, fresh, requirement)
        return choice

    def chain_step(self, draw: Callable, step: ChainStep, args: list[Operand]) -> bool:
        """Add one chain node; return False where it would leave a domain or be untame."""
        slot_requirements = requirements(step.op, args)
        for arg, requirement in zip(args, slot_requirements):
            if isinstance(arg, str):
                self.ensure_input(draw, arg, requirement)
        values = [self.value_of(arg) for arg in args]
        if not all(satisfies(req, value) for req, value in zip(slot_requirements, values)):
            return False
        if OPS[step.op].domain(self.ctx, *values) is not None:
            return False
        value = exact_value(self.ctx, step.op, values)
        if value is None:
            return False
        self.add_valued(step.op, args, value)
        return True


@st.composite
def examples(
    draw: Callable,
    *,
    ops: Optional[Iterable[str]] = None,
    min_nodes: int = 1,
    max_nodes: int = 12,
    max_inputs: int = 4,
    deep: bool = False,
    max_depth: Optional[int] = None,
    special: bool = True,
) -> tuple[Graph, dict[str, float]]:
    """Generate ``(graph, point)`` pairs where every op is evaluated inside its domain.

    The arguments mean what they mean for ``graphs`` and ``points``.  The
    domain holds for the exact values computed from the float64 point at 200
    bits.  Log and powv bases are positive, and sqrt arguments are
    non-negative (exactly 0 is common, to reach the domain edge).  Divisors
    are nonzero.  A pow base is positive under a negative non-integer
    exponent and non-negative (0 included) under a positive one, and rpow's
    base is 0 only with a positive exponent.  Nodes whose exact value would be
    astronomically large (``exp(exp(800))``) are not generated.

    Repairs count toward ``max_nodes``.  Shrinks like ``graphs`` and
    ``points``: fewer nodes, input values toward 0.0 and small integers.
    """
    op_names = check_ops(ops)
    low, high = check_node_bounds(min_nodes, max_nodes)
    inputs = check_int("max_inputs", max_inputs, 1)
    depth = check_depth(deep, max_depth, DEFAULT_MAX_DEPTH)
    if not isinstance(special, bool):
        raise InvalidArgument(f"special={special!r} must be True or False")
    builder = ExampleBuilder(op_names, inputs, special)
    draw_nodes(draw, builder, low, high)
    if builder.live_count() < low:
        reject()  # an untame node ended the graph early
    if depth is not None:
        draw_chain(draw, builder, depth, lambda step, args: builder.chain_step(draw, step, args))
    graph = builder.finish()
    return graph, {name: builder.point[name] for name in graph.inputs}
