"""Micrograd-style test doubles: correct engines and engines with one injected fault.

``CORRECT`` maps names to correct engines and ``DOUBLES`` maps names to
broken ones.  Every broken class describes its fault in four attributes:

* ``fault``: one line.
* ``faulty_ops``: the op whose rule is wrong, empty when the fault is not in one op.
* ``witness``: an expression and a point that expose the fault.
* ``detected_by``: "run" when one run differs from a correct engine, "state"
  when only the backward-twice and reuse checks see it.

Load any of them with the spec ``tests.doubles:NAME``.
"""

from .alt import AltValue
from .broken_graph import (
    DuplicateChildren,
    NoInteriorReset,
    OverwriteGrad,
    PerPathPropagation,
    PreorderTopology,
    RecursiveTopology,
)
from .broken_rules import (
    AbsIgnoresSign,
    AbsKinkNan,
    AddDropsSecond,
    Broken,
    CosSignLost,
    DivSignLost,
    ExpOffByPpm,
    ExpUsesInput,
    LogInverseSquare,
    MulSwapped,
    PowAlwaysSquare,
    ReluKinkTwo,
    ReluPassesNegative,
    RpowAsPower,
    RsubSwapped,
    RtruedivSwapped,
    SigmoidOnePlus,
    SinNegated,
    SqrtNoHalf,
    SubPlusOne,
    TanhNotSquared,
    TanhOverflows,
)
from .good import GoodValue
from .variants import VARIANTS

CORRECT: dict[str, type] = {"GoodValue": GoodValue, "AltValue": AltValue}

DOUBLES: dict[str, type[Broken]] = {
    cls.__name__: cls
    for cls in (
        OverwriteGrad,
        AddDropsSecond,
        MulSwapped,
        DivSignLost,
        PowAlwaysSquare,
        TanhNotSquared,
        SigmoidOnePlus,
        ExpUsesInput,
        LogInverseSquare,
        SinNegated,
        CosSignLost,
        SqrtNoHalf,
        AbsIgnoresSign,
        ReluPassesNegative,
        RsubSwapped,
        RtruedivSwapped,
        RpowAsPower,
        SubPlusOne,
        PreorderTopology,
        ReluKinkTwo,
        AbsKinkNan,
        ExpOffByPpm,
        DuplicateChildren,
        PerPathPropagation,
        NoInteriorReset,
        RecursiveTopology,
        TanhOverflows,
    )
}

__all__ = ["AltValue", "Broken", "CORRECT", "DOUBLES", "GoodValue", "VARIANTS", *DOUBLES]
