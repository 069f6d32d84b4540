"""Helpers shared by the framework adapters (PyTorch, JAX, tinygrad, autograd).

Each adapter maps the op table onto one framework's own functions, builds a
fresh graph of that framework's objects on every run, and reports through
``EngineResult``.  The frameworks are optional dependencies, so every adapter
imports its framework lazily through ``import_framework``.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, Callable, Mapping, Optional, Sequence

from oracle._errors import EngineLoadError, InvalidArgument
from oracle._graph import Const, Graph, Point

from ._result import Engine, Failure, Phase

__all__ = [
    "SPEC_PREFIXES",
    "check_dtype",
    "evaluate_nodes",
    "failure_from",
    "import_framework",
    "to_float",
    "unsupported_ops_failure",
]

#: One framework function per op name; constants arrive as Python floats.
ApplyTable = Mapping[str, Callable[..., Any]]


def import_framework(module: str, extra: str) -> ModuleType:
    """Import ``module``, or raise ``EngineLoadError`` with the pip extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise EngineLoadError(
            f"{module} could not be imported ({error}); install it with pip install 'gradoracle[{extra}]'"
        ) from None


def check_dtype(engine: str, dtype: str, allowed: Sequence[str]) -> str:
    """Return ``dtype`` if ``engine`` supports it, else raise ``InvalidArgument``."""
    if dtype not in allowed:
        choices = " or ".join(repr(name) for name in allowed)
        raise InvalidArgument(f"dtype={dtype!r} is not supported by the {engine} engine; use {choices}")
    return dtype


def evaluate_nodes(graph: Graph, leaves: Mapping[str, Any], apply: ApplyTable) -> list[Any]:
    """Apply every node of ``graph`` in order and return one framework object per node.

    Input names resolve to ``leaves``, node indices to earlier results and
    constants to plain Python floats, so that ``2 - x`` reaches the
    framework's reflected operator as it would in user code.
    """
    nodes: list[Any] = []
    for node in graph.nodes:
        args = []
        for arg in node.args:
            if isinstance(arg, Const):
                args.append(arg.value)
            elif isinstance(arg, str):
                args.append(leaves[arg])
            else:
                args.append(nodes[arg])
        nodes.append(apply[node.op](*args))
    return nodes


def unsupported_ops_failure(graph: Graph, supported: frozenset[str]) -> Optional[Failure]:
    """Return a build ``Failure`` naming the ops of ``graph`` outside ``supported``, if any."""
    missing = sorted(graph.ops_used() - supported)
    if not missing:
        return None
    return Failure("build", "UnsupportedOp", f"the engine does not map op(s) {', '.join(missing)}")


def failure_from(phase: Phase, error: BaseException) -> Failure:
    """Record an exception raised by a framework during ``phase``."""
    return Failure(phase, type(error).__name__, str(error))


def to_float(value: Any) -> float:
    """Convert a framework scalar (tensor, array or NumPy scalar) to a Python float."""
    if hasattr(value, "item"):
        value = value.item()
    return float(value)


def _no_argument(prefix: str, argument: str) -> None:
    if argument:
        raise EngineLoadError(f"engine spec '{prefix}:{argument}' takes no argument; use plain '{prefix}'")


def _torch64(argument: str) -> Engine:
    _no_argument("torch", argument)
    from ._torch import TorchEngine

    return TorchEngine("float64")


def _torch32(argument: str) -> Engine:
    _no_argument("torch-float32", argument)
    from ._torch import TorchEngine

    return TorchEngine("float32")


def _jax64(argument: str) -> Engine:
    _no_argument("jax", argument)
    from ._jax import JaxEngine

    return JaxEngine("float64")


def _jax32(argument: str) -> Engine:
    _no_argument("jax-float32", argument)
    from ._jax import JaxEngine

    return JaxEngine("float32")


def _tinygrad32(argument: str) -> Engine:
    from ._tinygrad import DEFAULT_DEVICE, TinygradEngine

    return TinygradEngine("float32", device=argument or DEFAULT_DEVICE)


def _tinygrad64(argument: str) -> Engine:
    from ._tinygrad import DEFAULT_DEVICE, TinygradEngine

    return TinygradEngine("float64", device=argument or DEFAULT_DEVICE)


def _autograd64(argument: str) -> Engine:
    _no_argument("autograd", argument)
    from ._autograd import AutogradEngine

    return AutogradEngine()


#: Spec prefix -> factory, in the form ``register_spec_prefix`` takes: the
#: factory receives the text after ``PREFIX:`` (empty for a bare prefix).
#: Only the tinygrad specs take an argument, a tinygrad device name
#: (``tinygrad:CPU``).  Each factory raises ``EngineLoadError`` when its
#: framework is not installed.
SPEC_PREFIXES: dict[str, Callable[[str], Engine]] = {
    "torch": _torch64,
    "torch-float32": _torch32,
    "jax": _jax64,
    "jax-float32": _jax32,
    "tinygrad": _tinygrad32,
    "tinygrad-float64": _tinygrad64,
    "autograd": _autograd64,
}
