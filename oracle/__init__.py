"""gradoracle's oracle: graph IR, op table, high-precision truth and verdicts."""

from ._errors import EngineLoadError, ExpressionError, GradientMismatch, GradoracleError, InvalidArgument
from ._graph import GRAPH_FORMAT, Const, Graph, Node, Operand, Point
from ._ops import OP_NAMES, OPS, Op
from ._parse import parse_expression

__all__ = [
    "Const",
    "EngineLoadError",
    "ExpressionError",
    "GRAPH_FORMAT",
    "Graph",
    "GradientMismatch",
    "GradoracleError",
    "InvalidArgument",
    "Node",
    "OPS",
    "OP_NAMES",
    "Op",
    "Operand",
    "Point",
    "parse_expression",
]
