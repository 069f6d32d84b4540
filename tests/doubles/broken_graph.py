"""Broken doubles whose fault is in backward itself, not in one op's rule.

Each fault corrupts gradients through shared nodes, traversal order, deep
graphs or state kept between backward calls, so ``faulty_ops`` is empty.
"""

from __future__ import annotations

from .broken_rules import Broken
from .good import GoodValue


class OverwriteGrad(Broken):
    """Gradients are assigned with ``=`` instead of accumulated with ``+=``."""

    fault = "each contribution overwrites the gradient instead of adding to it"
    witness = ("a*a", {"a": 3.0})

    def _accumulate(self, contribution: float) -> None:
        self.grad = contribution


class PreorderTopology(Broken):
    """The DFS appends a node before visiting its parents, so backward runs in the wrong order."""

    fault = "topological sort appends before visiting children (pre-order)"
    witness = ("(a*b + c)*f", {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0})

    def _topological_order(self) -> list[GoodValue]:
        order: list[GoodValue] = []
        visited: set[int] = set()
        stack: list[GoodValue] = [self]
        while stack:
            node = stack.pop()
            if id(node) in visited:
                continue
            visited.add(id(node))
            order.append(node)
            stack.extend(reversed(node._parents))
        return order


class DuplicateChildren(Broken):
    """The sort keeps every path to a node and has no visited set, so shared nodes propagate repeatedly.

    ``b = a + a; b + b`` gives d/da = 8 instead of 4.
    """

    fault = "topological sort without a visited set visits shared nodes once per path"
    witness = ("b = a + a; b + b", {"a": 1.0})

    def _topological_order(self) -> list[GoodValue]:
        order: list[GoodValue] = []
        stack: list[tuple[GoodValue, bool]] = [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            stack.append((node, True))
            for parent in reversed(node._parents):
                stack.append((parent, False))
        return order


class PerPathPropagation(Broken):
    """Backward recurses into each parent right after adding to it.

    A node reached by two paths passes its cumulative gradient down once
    per path, so ``t = a + 1; t*t`` gives d/da = 3t instead of 2t.
    """

    fault = "a reused node passes its running gradient once per path"
    witness = ("t = a + 1; t*t", {"a": 1.0})

    def backward(self) -> None:
        self._reset(self._topological_order())
        self.grad = 1.0
        self._push()

    def _push(self) -> None:
        for parent, local in zip(self._parents, self._local):
            parent._accumulate(local * self.grad)
            parent._push()


class NoInteriorReset(Broken):
    """Backward seeds the output but does not reset interior gradients, as micrograd 0.1.0 does.

    A single run on a fresh graph is correct; calling backward twice or
    reusing a node after backward adds stale interior gradients.
    """

    fault = "interior gradients are not reset between backward calls"
    witness = ("c = a + b; c*d", {"a": 3.0, "b": 2.0, "d": 1.0})
    detected_by = "state"

    def _reset(self, order: list[GoodValue]) -> None:
        pass


class RecursiveTopology(Broken):
    """The topological sort recurses once per level and hits RecursionError past about 1000 levels.

    The witness is 12000 levels deep because some frameworks raise the
    interpreter's recursion limit on import (tinygrad 0.14 sets 10000).
    """

    fault = "recursive topological sort fails on deep graphs"
    witness = ("a" + " + 1" * 12000, {"a": 0.5})

    def _topological_order(self) -> list[GoodValue]:
        order: list[GoodValue] = []
        visited: set[int] = set()

        def visit(node: GoodValue) -> None:
            if id(node) in visited:
                return
            visited.add(id(node))
            for parent in node._parents:
                visit(parent)
            order.append(node)

        visit(self)
        return order
