"""Hypothesis strategies for gradoracle: expression graphs, input points and examples.

``graphs`` draws expression DAGs, ``points`` draws input values for a graph
with special values on purpose, ``examples`` draws a graph and a point
together so that every op is evaluated inside its domain, and
``expressions`` draws the text form of a graph.
"""

from ._examples import examples
from ._graphs import expressions, graphs
from ._points import points

__all__ = ["examples", "expressions", "graphs", "points"]
