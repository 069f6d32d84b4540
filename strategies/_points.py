"""The ``points`` strategy: input values for a given graph."""

from __future__ import annotations

from typing import Callable, Optional

from hypothesis import strategies as st

from oracle._errors import InvalidArgument
from oracle._graph import Graph

from ._validate import check_bound
from ._values import input_values


@st.composite
def points(
    draw: Callable,
    graph: Graph,
    *,
    special: bool = True,
    min_value: Optional[float] = None,
    max_value: Optional[float] = None,
) -> dict[str, float]:
    """Generate a finite float64 value for every input of ``graph``, as a dict.

    With ``special=True`` (the default) values that break naive code are
    drawn on purpose and often: 0.0, -0.0, small integers, 0.5, arguments
    where exp or tanh overflow in naive code (20, 40, 355, 400, 710, 800 and
    their negatives), magnitudes in the hundreds, tiny values (1e-8, 1e-300,
    5e-324), and values equal or adjacent (``math.nextafter``) to an earlier
    input, which give max/min ties and exact cancellation in ``x - y``.
    With ``special=False`` every value comes from ``st.floats``.

    Values lie in [``min_value``, ``max_value``] where given.  The point does
    not respect op domains; use ``examples`` for that.  Shrinks each value
    toward 0.0 and then toward small integers.
    """
    if not isinstance(graph, Graph):
        raise InvalidArgument(f"graph={graph!r} must be an oracle Graph, e.g. one drawn from graphs()")
    if not isinstance(special, bool):
        raise InvalidArgument(f"special={special!r} must be True or False")
    low = check_bound("min_value", min_value)
    high = check_bound("max_value", max_value)
    if low is not None and high is not None and low > high:
        raise InvalidArgument(f"min_value={low!r} must not exceed max_value={high!r}")

    point: dict[str, float] = {}
    for name in graph.inputs:
        strategy = input_values(list(point.values()), special=special, min_value=low, max_value=high)
        point[name] = draw(strategy)
    return point
