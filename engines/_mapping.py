"""User mappings: the parts of a micrograd-style API that probing cannot guess.

A mapping is a dict (or a TOML or JSON file with the same keys)::

    backward = "backprop"          # name of the backward method
    grad = "gradient"              # gradient attribute or method
    data = "value"                 # data attribute or method
    zero_grad = "zero"             # method that clears gradients (optional)
    backward_twice = "reset"       # "reset", "accumulate" or "either"
    [ops]
    relu = "ReLU"                  # method name per op; false marks it unsupported
    max = "maximum"
"""

from __future__ import annotations

import difflib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Mapping, Optional, Union

from oracle._errors import EngineLoadError
from oracle._ops import OPS

__all__ = ["ApiMapping", "BackwardTwice", "load_mapping"]

BackwardTwice = Literal["reset", "accumulate", "either"]
_BACKWARD_TWICE = ("reset", "accumulate", "either")
_NAME_KEYS = ("backward", "grad", "data", "zero_grad")
_KEYS = _NAME_KEYS + ("ops", "backward_twice")


@dataclass(frozen=True)
class ApiMapping:
    """A validated mapping; ``None`` fields are left to probing."""

    backward: Optional[str] = None
    grad: Optional[str] = None
    data: Optional[str] = None
    zero_grad: Optional[str] = None
    #: Method name per op; ``None`` marks an op the user declares unsupported.
    ops: dict[str, Optional[str]] = field(default_factory=dict)
    backward_twice: BackwardTwice = "either"


def load_mapping(source: Union[None, str, Path, Mapping[str, Any], ApiMapping], *, spec: str = "") -> ApiMapping:
    """Validate a mapping given as a dict, an ``ApiMapping`` or a TOML/JSON file path."""
    if source is None:
        return ApiMapping()
    if isinstance(source, ApiMapping):
        return source
    where = f"engine spec {spec!r}: " if spec else ""
    if isinstance(source, (str, Path)):
        source = _read_file(Path(source), where)
    if not isinstance(source, Mapping):
        raise EngineLoadError(f"{where}mapping={source!r} must be a dict or a .toml/.json file path")
    return _validate(source, where)


def _read_file(path: Path, where: str) -> Mapping[str, Any]:
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".json"):
        raise EngineLoadError(f"{where}mapping file {str(path)!r} must end in .toml or .json")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise EngineLoadError(f"{where}cannot read mapping file {str(path)!r}: {error.strerror}; check the path") from None
    try:
        data = tomllib.loads(text) if suffix == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        raise EngineLoadError(f"{where}mapping file {str(path)!r} is invalid: {error}") from None
    if not isinstance(data, dict):
        raise EngineLoadError(f"{where}mapping file {str(path)!r} must contain an object at the top level")
    return data


def _validate(source: Mapping[str, Any], where: str) -> ApiMapping:
    for key in source:
        if key not in _KEYS:
            hint = difflib.get_close_matches(str(key), _KEYS, n=1)
            suggestion = f"; did you mean {hint[0]!r}?" if hint else f"; known keys: {', '.join(_KEYS)}"
            raise EngineLoadError(f"{where}mapping key {key!r} is unknown{suggestion}")
    names: dict[str, Optional[str]] = {}
    for key in _NAME_KEYS:
        value = source.get(key)
        if value is not None and not (isinstance(value, str) and value.isidentifier()):
            raise EngineLoadError(f"{where}mapping {key}={value!r} must be a method or attribute name")
        names[key] = value
    twice = source.get("backward_twice", "either")
    if twice not in _BACKWARD_TWICE:
        raise EngineLoadError(
            f"{where}mapping backward_twice={twice!r} must be one of {', '.join(_BACKWARD_TWICE)}"
        )
    ops_source = source.get("ops", {})
    if not isinstance(ops_source, Mapping):
        raise EngineLoadError(f"{where}mapping ops={ops_source!r} must map op names to method names")
    ops: dict[str, Optional[str]] = {}
    for op_name, method in ops_source.items():
        if op_name not in OPS:
            hint = difflib.get_close_matches(str(op_name), list(OPS), n=1)
            suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
            raise EngineLoadError(f"{where}mapping op {op_name!r} is not in the op table{suggestion}")
        if method is False or method is None:
            ops[op_name] = None
        elif isinstance(method, str) and method.isidentifier():
            ops[op_name] = method
        else:
            raise EngineLoadError(
                f"{where}mapping ops.{op_name}={method!r} must be a method name, or false for unsupported"
            )
    return ApiMapping(ops=ops, backward_twice=twice, **names)
