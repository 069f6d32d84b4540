"""Messages of the ``gradoracle.engine/1`` JSON-lines protocol.

Pure functions that encode requests and decode and check the handshake and
replies.  Every check failure raises ``ProtocolError`` with a one-line message
naming the field, so that ``ProcessEngine`` can turn it into a ``Failure``.
The protocol itself is described in ``docs/protocol.md``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Optional

from oracle._errors import InvalidArgument
from oracle._graph import Graph, Point, float_from_json, float_to_json, point_to_json
from oracle._ops import OPS

from ._result import EngineResult, Failure

__all__ = [
    "PROTOCOL",
    "PROTOCOL_MAJOR",
    "ProtocolError",
    "Handshake",
    "encode_request",
    "decode_line",
    "parse_handshake",
    "parse_reply",
    "encode_float",
]

PROTOCOL_MAJOR = 1
PROTOCOL = f"gradoracle.engine/{PROTOCOL_MAJOR}"

_PROTOCOL_PATTERN = re.compile(r"gradoracle\.engine/(\d+)(?:\.(\d+))?")
_ERROR_PHASES = ("build", "forward", "backward")
_DTYPES = ("float64", "float32")


class ProtocolError(Exception):
    """A line from the child breaks the protocol; the message names the field."""


@dataclass(frozen=True)
class Handshake:
    """The first line a child writes: who it is and what it can run."""

    protocol: str
    engine: str
    version: Optional[str]
    ops: frozenset[str]
    dtype: str
    node_adjoints: bool


def encode_float(value: float) -> Any:
    """Encode a float for the wire: decimal and hex text, which keep every bit."""
    return float_to_json(value)


def encode_request(request_id: int, graph: Graph, point: Point) -> bytes:
    """Return one request line, newline included."""
    missing = [name for name in graph.inputs if name not in point]
    if missing:
        raise InvalidArgument(f"point is missing inputs {missing}; give a value for every graph input")
    values = {name: float(point[name]) for name in graph.inputs}
    message = {"id": request_id, "graph": graph.to_json(), "point": point_to_json(values)}
    return (json.dumps(message, separators=(",", ":"), allow_nan=False) + "\n").encode("utf-8")


def _reject_constant(name: str) -> Any:
    raise ProtocolError(f'the reply contains the bare JSON token {name}; send the string "nan", "inf" or "-inf"')


def decode_line(line: bytes) -> dict[str, Any]:
    """Decode one line into a JSON object, or raise ``ProtocolError``."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ProtocolError(f"the line is not valid UTF-8 ({error.reason} at byte {error.start})") from None
    try:
        message = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise ProtocolError(f"the line is not valid JSON ({error.msg}): {_excerpt(text)}") from None
    if not isinstance(message, dict):
        raise ProtocolError(f"the line must be a JSON object, got {type(message).__name__}: {_excerpt(text)}")
    return message


def parse_handshake(message: dict[str, Any]) -> Handshake:
    """Check the handshake object and return it, rejecting unknown major versions."""
    protocol = message.get("protocol")
    if not isinstance(protocol, str):
        raise ProtocolError(f"handshake field protocol={protocol!r} is missing; expected {PROTOCOL!r}")
    match = _PROTOCOL_PATTERN.fullmatch(protocol)
    if match is None:
        raise ProtocolError(f"handshake field protocol={protocol!r} is not of the form 'gradoracle.engine/MAJOR'")
    if int(match.group(1)) != PROTOCOL_MAJOR:
        raise ProtocolError(
            f"handshake field protocol={protocol!r} has an unsupported major version; "
            f"this oracle speaks {PROTOCOL!r}"
        )

    engine = message.get("engine")
    if not isinstance(engine, str) or not engine:
        raise ProtocolError(f"handshake field engine={engine!r} must be a non-empty string")
    version = message.get("version")
    if version is not None and not isinstance(version, str):
        raise ProtocolError(f"handshake field version={version!r} must be a string or null")

    ops = message.get("ops")
    if not isinstance(ops, list) or not all(isinstance(name, str) for name in ops):
        raise ProtocolError(f"handshake field ops={ops!r} must be a list of op names")
    unknown = [name for name in ops if name not in OPS]
    if unknown:
        raise ProtocolError(f"handshake field ops lists {unknown}, which are not in the op table")

    dtype = message.get("dtype")
    if dtype not in _DTYPES:
        raise ProtocolError(f"handshake field dtype={dtype!r} must be one of {list(_DTYPES)}")
    node_adjoints = message.get("node_adjoints", False)
    if not isinstance(node_adjoints, bool):
        raise ProtocolError(f"handshake field node_adjoints={node_adjoints!r} must be true or false")

    return Handshake(protocol, engine, version, frozenset(ops), dtype, node_adjoints)


def parse_reply(
    message: dict[str, Any], request_id: int, graph: Graph, *, node_data_promised: bool
) -> EngineResult:
    """Check a reply to request ``request_id`` and convert it to an ``EngineResult``.

    An error reply becomes a result whose ``failure`` carries the child's
    phase, type and message.  ``node_data_promised`` is the handshake's
    ``node_adjoints`` flag: when it is true, a successful reply must carry
    both per-node lists.
    """
    reply_id = message.get("id")
    if reply_id != request_id or isinstance(reply_id, bool):
        raise ProtocolError(f"reply id={reply_id!r} does not match request id={request_id}")

    if "error" in message:
        result = _parse_partial(message, graph)
        result.failure = _parse_error(message["error"])
        return result

    for field in ("value", "gradient"):
        if field not in message:
            raise ProtocolError(f"reply {request_id} is missing the field {field!r}")
    if node_data_promised:
        for field in ("node_values", "node_adjoints"):
            if field not in message:
                raise ProtocolError(
                    f"reply {request_id} is missing the field {field!r}, which the handshake promised"
                )
    return _parse_partial(message, graph)


def _parse_error(error: Any) -> Failure:
    if not isinstance(error, dict):
        raise ProtocolError(f"reply field error={error!r} must be an object with phase, type and message")
    phase = error.get("phase")
    if phase not in _ERROR_PHASES:
        raise ProtocolError(f"error field phase={phase!r} must be one of {list(_ERROR_PHASES)}")
    error_type = error.get("type")
    text = error.get("message")
    if not isinstance(error_type, str):
        raise ProtocolError(f"error field type={error_type!r} must be a string")
    if not isinstance(text, str):
        raise ProtocolError(f"error field message={text!r} must be a string")
    return Failure(phase=phase, error_type=error_type, message=text)


def _parse_partial(message: dict[str, Any], graph: Graph) -> EngineResult:
    """Read the numeric fields that are present; absent ones stay empty."""
    value = _parse_float(message.get("value"), "value")

    gradient: dict[str, Optional[float]] = {}
    if "gradient" in message:
        raw = message["gradient"]
        if not isinstance(raw, dict):
            raise ProtocolError(f"reply field gradient={_excerpt(repr(raw))} must be an object")
        unknown = sorted(set(raw) - set(graph.inputs))
        if unknown:
            raise ProtocolError(f"reply field gradient names {unknown}, which are not graph inputs")
        missing = [name for name in graph.inputs if name not in raw]
        if missing:
            raise ProtocolError(f"reply field gradient is missing inputs {missing}; send null for none")
        gradient = {name: _parse_float(raw[name], f"gradient[{name!r}]") for name in graph.inputs}

    return EngineResult(
        value=value,
        gradient=gradient,
        node_values=_parse_node_list(message, "node_values", len(graph.nodes)),
        node_adjoints=_parse_node_list(message, "node_adjoints", len(graph.nodes)),
    )


def _parse_node_list(message: dict[str, Any], field: str, count: int) -> Optional[list[Optional[float]]]:
    raw = message.get(field)
    if raw is None:
        return None
    if not isinstance(raw, list) or len(raw) != count:
        raise ProtocolError(f"reply field {field} must be a list of {count} floats, one per graph node")
    return [_parse_float(item, f"{field}[{index}]") for index, item in enumerate(raw)]


def _parse_float(data: Any, where: str) -> Optional[float]:
    if data is None:
        return None
    try:
        value = float_from_json(data)
    except InvalidArgument:
        raise ProtocolError(f"reply field {where}={_excerpt(repr(data))} is not a float") from None
    except OverflowError:
        raise ProtocolError(f"reply field {where} is an integer too large for float64") from None
    return value


def _excerpt(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
