"""gradoracle's oracle: graph IR, op table, high-precision truth and verdicts.

The names from the truth, the verdicts and the campaigns are loaded on
first use, so importing ``oracle`` (as the pytest plugin does) stays cheap
and does not import mpmath.

>>> from oracle import check_expression
>>> verdict = check_expression("reference", "e = a*b; d = e + c; L = d*f",
...                            {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0})
>>> verdict.ok, float(verdict.truth.value)
(True, -8.0)
"""

from importlib import import_module
from typing import Any

from ._errors import EngineLoadError, ExpressionError, GradientMismatch, GradoracleError, InvalidArgument
from ._graph import GRAPH_FORMAT, Const, Graph, Node, Operand, Point
from ._ops import OP_NAMES, OPS, Op
from ._parse import parse_expression

# Public name -> private module that defines it, imported on first access.
_LAZY = {
    "check": "_check",
    "check_expression": "_check",
    "compute_truth": "_truth",
    "Truth": "_truth",
    "GradientTruth": "_truth",
    "Verdict": "_verdict",
    "Finding": "_verdict",
    "DIVERGENCE_KINDS": "_verdict",
    "INFORMATIONAL_KINDS": "_verdict",
    "Blame": "_localise",
    "fuzz": "_campaign",
    "CampaignResult": "_campaign",
    "Defect": "_campaign",
    "fuzz_matrix": "_matrix",
    "verdict_record": "_records",
    "campaign_record": "_report",
    "render_html": "_html",
    "render_markdown": "_report",
    "run_gate": "_gate",
    "compare_with_vector": "_vectors",
}

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
    *sorted(_LAZY),
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'oracle' has no attribute {name!r}")
    value = getattr(import_module(f"oracle.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
