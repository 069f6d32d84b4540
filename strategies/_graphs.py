"""The ``graphs`` and ``expressions`` strategies."""

from __future__ import annotations

from typing import Callable, Iterable, Optional

from hypothesis import strategies as st

from oracle._graph import Graph, Operand

from ._build import GraphBuilder, draw_nodes
from ._chain import ChainStep, draw_chain
from ._validate import check_depth, check_int, check_node_bounds, check_ops

#: Chain length limit for ``deep=True`` when ``max_depth`` is None.  It is
#: above 1,000 because recursive topological sorts fail near Python's default
#: recursion limit of 1,000 frames.
DEFAULT_MAX_DEPTH = 1500


@st.composite
def graphs(
    draw: Callable,
    *,
    ops: Optional[Iterable[str]] = None,
    min_nodes: int = 1,
    max_nodes: int = 12,
    max_inputs: int = 4,
    deep: bool = False,
    max_depth: Optional[int] = None,
) -> Graph:
    """Generate expression DAGs (``oracle._graph.Graph``) over the inputs x, y, z, w, ...

    Only ops named in ``ops`` appear (default: every op of the table).  The
    graph is pruned, so every node feeds the output, and it has between
    ``min_nodes`` and ``max_nodes`` nodes over at most ``max_inputs`` inputs.
    Shared nodes, diamonds and squares (``t*t``) are common.  Constants
    appear on either side of binary ops, pow exponents include integers and
    non-integers, and rpow bases are positive.  No domain is enforced: use
    ``examples`` for graphs with points inside every op's domain.

    With ``deep=True`` a chain of 1 to ``max_depth`` nodes (default 1500),
    built by repeating up to three drawn steps, is added on top of such a
    graph, so the output can be more than 1,000 levels deep.

    Shrinks toward fewer nodes, the first input ``x``, ops earlier in the
    op table and shorter chains, so a minimal failing graph is usually one
    or two nodes.
    """
    op_names = check_ops(ops)
    low, high = check_node_bounds(min_nodes, max_nodes)
    inputs = check_int("max_inputs", max_inputs, 1)
    depth = check_depth(deep, max_depth, DEFAULT_MAX_DEPTH)

    builder = GraphBuilder(op_names, inputs)
    draw_nodes(draw, builder, low, high)
    if depth is not None:

        def add_step(step: ChainStep, args: list[Operand]) -> bool:
            builder.add(step.op, args)
            return True

        draw_chain(draw, builder, depth, add_step)
    return builder.finish()


def expressions(
    *,
    ops: Optional[Iterable[str]] = None,
    min_nodes: int = 1,
    max_nodes: int = 12,
    max_inputs: int = 4,
) -> st.SearchStrategy[str]:
    """Generate expression text, such as ``t1 = x*y; L = t1*t1 + 2``, for ``graphs``.

    ``oracle._parse.parse_expression`` reads the text back to an equivalent
    graph (inputs may be listed in another order).  Shrinks as ``graphs`` does.
    """
    return graphs(ops=ops, min_nodes=min_nodes, max_nodes=max_nodes, max_inputs=max_inputs).map(
        lambda graph: graph.expression()
    )
