"""The ``gradoracle`` command group.

Exit codes: 0 when every engine agrees with the truth, 1 when a divergence
was found, 2 for usage and loading errors (a one-line message naming the
value and what to do).
"""

from __future__ import annotations

import sys
from typing import Any, Callable, Optional

import click

from ._errors import GradoracleError

__all__ = ["main", "cli", "UsageFailure", "handle_errors"]

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class UsageFailure(click.ClickException):
    """A usage or loading error: printed as one line, exit code 2."""

    exit_code = 2


def handle_errors(function: Callable[..., Any]) -> Callable[..., Any]:
    """Turn gradoracle's own errors into one-line messages with exit code 2."""
    import functools

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except GradoracleError as error:
            raise UsageFailure(str(error)) from None

    return wrapper


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gradoracle")
    except PackageNotFoundError:
        return "unknown"


@click.group(context_settings=CONTEXT)
@click.version_option(_version(), "--version", prog_name="gradoracle")
def cli() -> None:
    """Find wrong gradients in autograd engines.

    gradoracle draws random expression graphs, runs them through the engines
    you name, and compares each value and gradient with a high-precision
    truth.  Every divergence comes with a minimal reproducer.
    """


def main(argv: Optional[list[str]] = None) -> None:
    """Console-script entry point."""
    _register()
    cli.main(args=argv, prog_name="gradoracle")


def _register() -> None:
    """Import the command modules, which add their commands to ``cli``."""
    from . import _cli_check, _cli_fuzz, _cli_gate, _cli_matrix  # noqa: F401


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
