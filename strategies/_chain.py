"""Long chains for ``deep=True``: a few drawn steps repeated many times.

A chain of thousands of nodes costs a handful of draws: the steps and the
length are drawn once and the nodes are built without further draws (apart
from the value of an input that the chain uses for the first time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from hypothesis import strategies as st

from oracle._graph import Const, Operand
from oracle._ops import OPS

from ._build import GraphBuilder, input_name
from ._values import choices, draw_base, draw_constant, draw_exponent, integers_between


@dataclass(frozen=True)
class ChainStep:
    """One repeated step: ``op`` applied to the previous chain node.

    ``slot`` is the operand position of the previous node.  ``other`` is
    the other operand: a constant, an input index, or None for the previous
    node again (``t*t``).
    """

    op: str
    slot: int
    other: Optional[object]


@st.composite
def chain_steps(draw: Callable, ops: tuple[str, ...], max_inputs: int) -> ChainStep:
    """One chain step using an op of ``ops``; shrinks toward the first op."""
    op = draw(choices(ops))
    if OPS[op].arity == 1:
        return ChainStep(op, 0, None)
    if op == "pow":
        return ChainStep(op, 0, Const(draw_exponent(draw)))
    if op == "rpow":
        return ChainStep(op, 1, Const(draw_base(draw)))
    slot = draw(integers_between(0, 1))
    kinds = ("input", "self") if op == "powv" else ("input", "const", "self")
    kind = draw(choices(kinds))
    if kind == "input":
        return ChainStep(op, slot, draw(integers_between(0, max_inputs - 1)))
    if kind == "const":
        return ChainStep(op, slot, Const(draw_constant(draw)))
    return ChainStep(op, slot, None)


def step_arguments(step: ChainStep, previous: int) -> list[Operand]:
    """Return the operands of ``step`` applied to node ``previous``."""
    if OPS[step.op].arity == 1:
        return [previous]
    if isinstance(step.other, Const):
        other: Operand = step.other
    elif isinstance(step.other, int):
        other = input_name(step.other)
    else:
        other = previous
    return [previous, other] if step.slot == 0 else [other, previous]


def draw_chain(
    draw: Callable,
    builder: GraphBuilder,
    max_depth: int,
    add_step: Callable[[ChainStep, list[Operand]], bool],
) -> None:
    """Append a chain of 1 to ``max_depth`` nodes on top of the latest node.

    ``add_step`` places one node and returns False to end the chain early.
    The length shrinks toward 1.
    """
    steps = draw(st.lists(chain_steps(builder.ops, builder.max_inputs), min_size=1, max_size=3))
    depth = draw(integers_between(1, max_depth))
    for position in range(depth):
        step = steps[position % len(steps)]
        previous = builder.latest
        assert previous is not None
        if not add_step(step, step_arguments(step, previous)):
            return

