"""JAX adapter: runs graphs through ``jax.vjp`` on CPU scalars in float64 or float32.

JAX disables 64-bit types unless ``jax_enable_x64`` is set.  Rather than flip
that process-wide flag, every run enters the ``jax.enable_x64`` context
manager (on for float64, off for float32), so the adapter neither depends on
nor changes the caller's setting.  Runs are pinned to the CPU device with
``jax.default_device`` in the same way.  Leaves get explicit dtypes, and Python
float constants are weakly typed, so a float32 graph stays float32.

``jax.vjp`` is used instead of ``jax.value_and_grad`` because it splits the
forward pass from the backward pass, so a failure names the right phase.  The
per-node values come back as auxiliary output.  JAX exposes no per-node
adjoints, so ``node_adjoints`` is None.  JAX returns a gradient for every
input, including 0.0 for an input the output does not use.
"""

from __future__ import annotations

import operator
from typing import Any, Callable

from oracle._graph import Graph, Point

from ._framework import check_dtype, evaluate_nodes, failure_from, import_framework, to_float, unsupported_ops_failure
from ._result import EngineResult, Phase

__all__ = ["JaxEngine"]


class JaxEngine:
    """The ``Engine`` protocol on JAX arrays (``jax`` and ``jax-float32``), without jit."""

    def __init__(self, dtype: str = "float64") -> None:
        self.dtype = check_dtype("jax", dtype, ("float64", "float32"))
        self._jax = import_framework("jax", "jax")
        self._jnp = import_framework("jax.numpy", "jax")
        self.name = "jax" if dtype == "float64" else "jax-float32"
        self.version: str = self._jax.__version__
        self._apply = self._apply_table()
        self.supported_ops: frozenset[str] = frozenset(self._apply)

    def _apply_table(self) -> dict[str, Callable[..., Any]]:
        jnp = self._jnp
        nn = self._jax.nn
        return {
            "add": operator.add,
            "sub": operator.sub,
            "mul": operator.mul,
            "div": operator.truediv,
            "neg": jnp.negative,
            "pow": operator.pow,  # array ** Python float, through Array.__pow__
            "rpow": operator.pow,  # Python float ** array, through Array.__rpow__
            "powv": jnp.power,
            "exp": jnp.exp,
            "log": jnp.log,
            "tanh": jnp.tanh,
            "sigmoid": nn.sigmoid,
            "relu": nn.relu,
            "sin": jnp.sin,
            "cos": jnp.cos,
            "sqrt": jnp.sqrt,
            "abs": jnp.abs,
            "max": jnp.maximum,
            "min": jnp.minimum,
        }

    def run(self, graph: Graph, point: Point) -> EngineResult:
        """Run ``jax.vjp`` of the graph's function at ``point`` and pull back 1.0 from the output."""
        failure = unsupported_ops_failure(graph, self.supported_ops)
        if failure is not None:
            return EngineResult(value=None, failure=failure)

        jax = self._jax
        with jax.enable_x64(self.dtype == "float64"), jax.default_device(jax.devices("cpu")[0]):
            return self._run(graph, point)

    def _run(self, graph: Graph, point: Point) -> EngineResult:
        jax, jnp = self._jax, self._jnp
        result = EngineResult(value=None)
        names = graph.inputs

        def function(*leaves: Any) -> tuple[Any, list[Any]]:
            nodes = evaluate_nodes(graph, dict(zip(names, leaves)), self._apply)
            return nodes[graph.output], nodes

        phase: Phase = "build"
        try:
            dtype = getattr(jnp, self.dtype)
            leaves = [jnp.asarray(float(point[name]), dtype=dtype) for name in names]

            phase = "forward"
            output, pullback, nodes = jax.vjp(function, *leaves, has_aux=True)
            result.value = to_float(output)
            result.node_values = [to_float(node) for node in nodes]

            phase = "backward"
            gradients = pullback(jnp.ones_like(output))
            result.gradient = {name: to_float(gradient) for name, gradient in zip(names, gradients)}
        except Exception as error:  # a framework error goes into the result instead of propagating
            result.failure = failure_from(phase, error)
        return result
