"""Serve a Python engine over ``gradoracle.engine/1``: ``python -m engines._child SPEC``.

Running an engine in its own interpreter isolates the oracle from native
extensions that crash and lets two packages with the same import name be
checked side by side.  ``SPEC`` is ``reference`` or any spec that
``engines._spec.load_engine`` accepts, including the framework specs
(``torch``, ``jax``, ...).

The child keeps the real stdout for protocol lines and points file
descriptor 1 at stderr, so prints from the engine (or from C code it calls)
cannot corrupt the protocol.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, BinaryIO, Optional, Sequence

from oracle._graph import Graph, float_to_json, point_from_json

from ._process_wire import PROTOCOL
from ._result import Engine, EngineResult
from .reference import ReferenceEngine

__all__ = ["main", "load_engine_for_child", "handle_request"]

_WIRE_PHASES = ("build", "forward", "backward")


def load_engine_for_child(spec: str) -> Engine:
    """Return the engine named by ``spec``; ``reference`` needs no spec loader."""
    if spec == "reference":
        return ReferenceEngine()
    from ._framework import SPEC_PREFIXES as FRAMEWORK_PREFIXES
    from ._spec import load_engine, register_spec_prefix

    # NOTE: engines._spec does not register the framework specs (torch, jax,
    # ...) itself yet, so the child registers them before loading.
    for prefix, factory in FRAMEWORK_PREFIXES.items():
        register_spec_prefix(prefix, factory)
    return load_engine(spec)


def handshake_for(engine: Engine) -> dict[str, Any]:
    """Return the handshake object that announces ``engine``."""
    return {
        "protocol": PROTOCOL,
        "engine": engine.name,
        "version": getattr(engine, "version", None),
        "ops": sorted(engine.supported_ops),
        "dtype": engine.dtype,
        # Only the reference engine is known to fill node data on every success.
        "node_adjoints": isinstance(engine, ReferenceEngine),
    }


def _float_or_null(value: Optional[float]) -> Any:
    return None if value is None else float_to_json(value)


def _result_fields(result: EngineResult) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "value": _float_or_null(result.value),
        "gradient": {name: _float_or_null(grad) for name, grad in result.gradient.items()},
    }
    if result.node_values is not None:
        fields["node_values"] = [_float_or_null(v) for v in result.node_values]
    if result.node_adjoints is not None:
        fields["node_adjoints"] = [_float_or_null(v) for v in result.node_adjoints]
    return fields


def handle_request(engine: Engine, request: dict[str, Any]) -> dict[str, Any]:
    """Run one decoded request on a fresh graph and return the reply object."""
    request_id = request.get("id")
    try:
        graph = Graph.from_json(request["graph"])
        point = point_from_json(request["point"])
    except Exception as error:  # any malformed request is reported, not fatal
        return _error_reply(request_id, "build", error)

    try:
        result = engine.run(graph, point)
    except Exception as error:  # noqa: BLE001  (the engine under test may raise anything)
        # NOTE: Engine.run hides where it failed, so an exception is reported
        # as a forward failure even when backward raised it.
        return _error_reply(request_id, "forward", error)

    reply: dict[str, Any] = {"id": request_id}
    if result.failure is None:
        reply.update(_result_fields(result))
        return reply

    failure = result.failure
    phase = failure.phase if failure.phase in _WIRE_PHASES else "forward"
    message = failure.message if phase == failure.phase else f"[{failure.phase}] {failure.message}"
    partial = _result_fields(result)
    if not result.gradient:
        del partial["gradient"]  # a partial gradient must name every input, so send none
    reply.update(partial)
    reply["error"] = {"phase": phase, "type": failure.error_type, "message": message}
    return reply


def _error_reply(request_id: Any, phase: str, error: BaseException) -> dict[str, Any]:
    return {"id": request_id, "error": {"phase": phase, "type": type(error).__name__, "message": str(error)}}


def _write(stream: BinaryIO, message: dict[str, Any]) -> None:
    stream.write(json.dumps(message, separators=(",", ":"), allow_nan=False).encode("utf-8") + b"\n")
    stream.flush()


def _claim_stdout() -> BinaryIO:
    """Return a private stream on the real stdout and send fd 1 to stderr."""
    sys.stdout.flush()
    protocol_stream = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    return protocol_stream


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Serve requests from stdin until it closes; return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m engines._child SPEC   (for example: reference)", file=sys.stderr)
        return 2
    spec = args[0]

    out = _claim_stdout()
    try:
        engine = load_engine_for_child(spec)
    except Exception as error:  # noqa: BLE001  (report any load failure, then exit)
        print(f"engines._child: could not load engine spec {spec!r}: {type(error).__name__}: {error}", file=sys.stderr)
        return 2

    try:
        _write(out, handshake_for(engine))
        for raw in sys.stdin.buffer:
            if not raw.strip():
                continue
            try:
                request = json.loads(raw)
            except ValueError as error:
                print(f"engines._child: invalid request line ({error}): {raw[:200]!r}", file=sys.stderr)
                return 2
            if not isinstance(request, dict):
                print(f"engines._child: request must be a JSON object: {raw[:200]!r}", file=sys.stderr)
                return 2
            _write(out, handle_request(engine, request))
    except BrokenPipeError:
        return 0  # the oracle went away; nothing is left to report to
    finally:
        try:
            out.close()
        except BrokenPipeError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
