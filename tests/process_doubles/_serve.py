"""Shared loop for the misbehaving children used by tests/test_process.py.

Each double serves the reference engine correctly until a request's graph
has an input named ``boom``; then ``misbehave(request)`` runs.  It returns a
reply object to send, or None to send nothing.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Callable, Optional

from engines._child import handle_request, handshake_for
from engines.reference import ReferenceEngine

ENGINE = ReferenceEngine()


def write_line(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def write_handshake() -> None:
    write_line(json.dumps(handshake_for(ENGINE)))


def serve(misbehave: Callable[[dict[str, Any]], Optional[dict[str, Any]]], *, handshake: bool = True) -> None:
    if handshake:
        write_handshake()
    for raw in sys.stdin:
        request = json.loads(raw)
        if "boom" in request["graph"]["inputs"]:
            reply = misbehave(request)
        else:
            reply = handle_request(ENGINE, request)
        if reply is not None:
            write_line(json.dumps(reply))
