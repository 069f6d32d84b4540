"""Find the engines installed in this environment, for campaigns with no --engine."""

from __future__ import annotations

import importlib.util

__all__ = ["installed_engines", "KNOWN_ENGINES"]

#: Spec, and the module that must be importable for it to be offered.
KNOWN_ENGINES: tuple[tuple[str, str], ...] = (
    ("reference", "engines"),
    ("micrograd.engine:Value", "micrograd.engine"),
    ("torch", "torch"),
    ("jax", "jax"),
    ("tinygrad", "tinygrad"),
    ("autograd", "autograd"),
)


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def installed_engines() -> list[str]:
    """Specs of the known engines whose packages are installed (reference always)."""
    return [spec for spec, module in KNOWN_ENGINES if spec == "reference" or _importable(module)]
