"""Argument checks shared by the strategies; each raises a one-line InvalidArgument."""

from __future__ import annotations

import math
from difflib import get_close_matches
from typing import Any, Iterable, Optional

from oracle._errors import InvalidArgument
from oracle._ops import OP_NAMES


def check_ops(ops: Optional[Iterable[str]]) -> tuple[str, ...]:
    """Return the op names to generate, in op-table order; None means every op."""
    if ops is None:
        return OP_NAMES
    if isinstance(ops, str):
        raise InvalidArgument(f"ops={ops!r} must be a collection of op names, e.g. ops=[{ops!r}]")
    try:
        names = list(ops)
    except TypeError:
        raise InvalidArgument(f"ops={ops!r} must be a collection of op names") from None
    for name in names:
        if name not in OP_NAMES:
            hint = get_close_matches(str(name), OP_NAMES, n=1)
            suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
            raise InvalidArgument(
                f"ops contains {name!r}, which is not in the op table{suggestion} "
                f"Known ops: {', '.join(OP_NAMES)}"
            )
    if not names:
        raise InvalidArgument("ops=[] is empty; pass at least one op name or None for every op")
    chosen = set(names)
    return tuple(name for name in OP_NAMES if name in chosen)


def check_int(name: str, value: Any, minimum: int) -> int:
    """Return ``value`` if it is an int of at least ``minimum``, else raise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"{name}={value!r} must be an int")
    if value < minimum:
        raise InvalidArgument(f"{name}={value!r} must be at least {minimum}")
    return value


def check_node_bounds(min_nodes: Any, max_nodes: Any) -> tuple[int, int]:
    """Return (min_nodes, max_nodes) after checking 1 <= min_nodes <= max_nodes."""
    low = check_int("min_nodes", min_nodes, 1)
    high = check_int("max_nodes", max_nodes, 1)
    if low > high:
        raise InvalidArgument(f"min_nodes={low!r} must not exceed max_nodes={high!r}")
    return low, high


def check_depth(deep: Any, max_depth: Any, default: int) -> Optional[int]:
    """Return the maximum chain length for ``deep=True``, or None when not deep."""
    if not isinstance(deep, bool):
        raise InvalidArgument(f"deep={deep!r} must be True or False")
    if not deep:
        if max_depth is not None:
            raise InvalidArgument(
                f"max_depth={max_depth!r} only applies with deep=True; pass deep=True or drop max_depth"
            )
        return None
    if max_depth is None:
        return default
    return check_int("max_depth", max_depth, 1)


def check_bound(name: str, value: Any) -> Optional[float]:
    """Return a finite float bound, or None when ``value`` is None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgument(f"{name}={value!r} must be a finite number or None")
    if not math.isfinite(value):
        raise InvalidArgument(f"{name}={value!r} must be finite; use None for no bound")
    return float(value)
