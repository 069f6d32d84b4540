"""Strategies for constants and input values, with the special values drawn on purpose.

Every list below starts with its simplest entry, because ``sampled_from``
shrinks toward its first element and ``one_of`` toward its first branch.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Callable, Optional, Sequence

from hypothesis import strategies as st

#: Input values that break naive code: zeros of both signs, small integers,
#: arguments where exp, sinh or tanh overflow when computed naively (exp
#: overflows float64 above about 709.78), magnitudes in the hundreds,
#: subnormals and other tiny values.
SPECIAL_INPUTS: tuple[float, ...] = (
    0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, -0.0, 3.0, -3.0, 10.0, -10.0,
    20.0, -20.0, 40.0, -40.0, 100.0, -100.0, 355.0, -355.0, 400.0, -400.0,
    710.0, -710.0, 800.0, -800.0, 123.25, -437.5,
    1e-8, -1e-8, 1e-300, -1e-300, 5e-324, -5e-324,
)

#: Constants for ops that accept one on either side (``2 - x``, ``x / 0.5``).
SPECIAL_CONSTANTS: tuple[float, ...] = (0.0, 1.0, 2.0, -1.0, 0.5, -2.0, 3.0, -0.5, 10.0, -0.0)

#: Exponents for pow: integers, including the ones with special derivative
#: rules at base 0, and non-integers that need a non-negative base.
SPECIAL_EXPONENTS: tuple[float, ...] = (2.0, 1.0, 0.0, 3.0, -1.0, -2.0, 0.5, 1.5, -0.5, 2.5)

#: Positive bases for rpow.  Base 0 is added, second, only where the exponent
#: is known to be positive, which only ``examples`` knows.
SPECIAL_BASES: tuple[float, ...] = (2.0, 0.5, math.e, 10.0, 1.0, 3.0)

#: A domain requirement on one operand: "positive", "nonnegative" or "nonzero".
Requirement = Optional[str]

_CHECKS: dict[str, Callable[[float], bool]] = {
    "positive": lambda value: value > 0,
    "nonnegative": lambda value: value >= 0,
    "nonzero": lambda value: value != 0,
}


def satisfies(requirement: Requirement, value: object) -> bool:
    """Return True when ``value`` (a float or an mpmath mpf) meets ``requirement``."""
    return requirement is None or _CHECKS[requirement](value)  # type: ignore[arg-type]


# Strategies are cached because Hypothesis validates each new strategy
# object on its first draw, which costs far more than the draw itself.


@lru_cache(maxsize=None)
def integers_between(low: int, high: int) -> st.SearchStrategy[int]:
    """``st.integers(low, high)``, cached."""
    return st.integers(low, high)


@lru_cache(maxsize=None)
def choices(options: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    """``st.sampled_from(options)``, cached; shrinks toward ``options[0]``."""
    return st.sampled_from(options)


def _integer_pool(low: int, high: int) -> tuple[float, ...]:
    """Integers in [low, high] as floats, ordered 0, 1, -1, 2, -2, ..."""
    return tuple(float(n) for n in sorted(range(low, high + 1), key=lambda n: (abs(n), n < 0)))


def _pool(specials: tuple[float, ...], extra: tuple[float, ...]) -> tuple[float, ...]:
    seen = [float(value).hex() for value in specials]
    return specials + tuple(value for value in extra if value.hex() not in seen)


_CONSTANT_POOL = _pool(SPECIAL_CONSTANTS, _integer_pool(-10, 10))
_EXPONENT_POOL = _pool(SPECIAL_EXPONENTS, _integer_pool(-5, 6))
_ANY_FLOAT = st.floats(allow_nan=False, allow_infinity=False)
_SMALL_FLOAT = st.floats(-4.0, 4.0)
_POSITIVE_FLOAT = st.floats(0.0, 1000.0, exclude_min=True)


def _draw_pooled(draw: Callable, pool: tuple[float, ...], floats: st.SearchStrategy[float]) -> float:
    """Draw from ``pool`` or, one time in four, from ``floats``; shrinks toward ``pool[0]``."""
    # NOTE: the float is drawn only when it is used.  Always drawing it would
    # keep later draws aligned while shrinking, but float draws make
    # Hypothesis stop graphs after one node far more often.
    float_slots = max(1, len(pool) // 3)
    index = draw(integers_between(0, len(pool) + float_slots - 1))
    return pool[index] if index < len(pool) else draw(floats)


def draw_constant(draw: Callable) -> float:
    """Draw a constant for either side of add, sub, mul, div, max and min.

    Special constants and the integers -10..10 come first; arbitrary finite
    floats, huge ones included, make up the remaining quarter.
    """
    return _draw_pooled(draw, _CONSTANT_POOL, _ANY_FLOAT)


def draw_exponent(draw: Callable) -> float:
    """Draw a pow exponent: special values, integers -5..6, or a float in [-4, 4]."""
    return _draw_pooled(draw, _EXPONENT_POOL, _SMALL_FLOAT)


def draw_base(draw: Callable, *, allow_zero: bool = False) -> float:
    """Draw an rpow base: positive, and 0 as well when ``allow_zero``."""
    bases = SPECIAL_BASES[:1] + ((0.0,) if allow_zero else ()) + SPECIAL_BASES[1:]
    return _draw_pooled(draw, bases, _POSITIVE_FLOAT)


def _unbounded_floats(requirement: Requirement) -> st.SearchStrategy[float]:
    positive = st.floats(min_value=0.0, exclude_min=True, allow_infinity=False)
    if requirement == "positive":
        return positive
    if requirement == "nonnegative":
        return st.floats(min_value=0.0, allow_infinity=False)
    if requirement == "nonzero":
        return st.one_of(positive, positive.map(lambda value: -value))
    return st.floats(allow_nan=False, allow_infinity=False)


def _near_values(previous: Sequence[float]) -> list[float]:
    """Return the previous values and their float64 neighbours, without duplicates."""
    near: list[float] = []
    for value in previous:
        for candidate in (value, math.nextafter(value, math.inf), math.nextafter(value, -math.inf)):
            if math.isfinite(candidate) and candidate not in near:
                near.append(candidate)
    return near


def input_values(
    previous: Sequence[float],
    *,
    special: bool = True,
    min_value: Optional[float] = None,
    max_value: Optional[float] = None,
    requirement: Requirement = None,
) -> st.SearchStrategy[float]:
    """Values for one input, given the values already drawn for earlier inputs.

    With ``special`` the draw favours ``SPECIAL_INPUTS``, small integers,
    magnitudes in the hundreds, and values equal or adjacent to an earlier
    input (ties for max and min, exact cancellation in ``x - y``).  It shrinks
    toward 0.0 and then small integers.  ``requirement`` restricts every
    branch to a domain; it is not combined with bounds.
    """
    # The key uses hex text because 0.0 == -0.0 would merge two cache entries.
    key = tuple(float(value).hex() for value in previous)
    return _input_values(key, special, min_value, max_value, requirement)


@lru_cache(maxsize=4096)
def _input_values(
    previous_hex: tuple[str, ...],
    special: bool,
    min_value: Optional[float],
    max_value: Optional[float],
    requirement: Requirement,
) -> st.SearchStrategy[float]:
    previous = [float.fromhex(text) for text in previous_hex]

    def allowed(value: float) -> bool:
        if min_value is not None and value < min_value:
            return False
        if max_value is not None and value > max_value:
            return False
        return satisfies(requirement, value)

    if requirement is None:
        floats = st.floats(min_value, max_value, allow_nan=False, allow_infinity=False)
    else:
        floats = _unbounded_floats(requirement)
    if not special:
        return floats

    branches: list[st.SearchStrategy[float]] = []
    specials = [value for value in SPECIAL_INPUTS if allowed(value)]
    if specials:
        branches.append(st.sampled_from(specials))
    # Ordered 0, 1, -1, 2, -2, ... so that shrinking reaches the smallest magnitude.
    integers = [float(value) for value in sorted(range(-10, 11), key=lambda n: (abs(n), n < 0))]
    integers = [value for value in integers if allowed(value)]
    if integers:
        branches.append(st.sampled_from(integers))
    branches.append(floats)
    for low, high in ((100.0, 1000.0), (-1000.0, -100.0)):
        hundreds = _clip_range(low, high, min_value, max_value, requirement)
        if hundreds is not None:
            branches.append(st.floats(*hundreds))
    near = [value for value in _near_values(previous) if allowed(value)]
    if near:
        # Listed twice so that ties and near-ties are as common as specials.
        branches.extend([st.sampled_from(near), st.sampled_from(near)])
    return st.one_of(branches)


def _clip_range(
    low: float,
    high: float,
    min_value: Optional[float],
    max_value: Optional[float],
    requirement: Requirement,
) -> Optional[tuple[float, float]]:
    """Return [low, high] cut to the bounds, or None when nothing is left.

    Only called for ranges that do not contain 0, so a requirement either
    keeps the whole range or drops it.
    """
    if min_value is not None:
        low = max(low, min_value)
    if max_value is not None:
        high = min(high, max_value)
    if low > high or not satisfies(requirement, high) or not satisfies(requirement, low):
        return None
    return low, high
