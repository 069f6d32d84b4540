"""The exception hierarchy shared by every part of gradoracle."""

from __future__ import annotations

__all__ = ["GradoracleError", "InvalidArgument", "ExpressionError", "EngineLoadError", "GradientMismatch"]


class GradoracleError(Exception):
    """Root of every error that gradoracle raises on purpose."""


class InvalidArgument(GradoracleError, ValueError):
    """A caller passed a value that breaks a documented rule.

    The message names the argument as ``name=value``, the rule and what to do.
    """


class ExpressionError(InvalidArgument):
    """A typed expression could not be parsed.

    ``position`` is the 0-based character offset of the offending token.
    """

    def __init__(self, message: str, text: str, position: int) -> None:
        self.text = text
        self.position = position
        super().__init__(f"{message} at position {position} in {text!r}")


class EngineLoadError(InvalidArgument):
    """An engine spec could not be turned into a usable engine."""


class GradientMismatch(GradoracleError, AssertionError):
    """An engine's value or gradient diverged from the truth.

    Raised by the assertion helpers; ``verdict`` carries the full record.
    """

    def __init__(self, message: str, verdict: object) -> None:
        self.verdict = verdict
        super().__init__(message)
