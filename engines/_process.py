"""Engines that run in a child process and speak ``gradoracle.engine/1``.

``ProcessEngine`` starts a command, reads its handshake, then sends one JSON
request line per ``run`` and reads one reply line.  Crashes, hangs and
garbage from the child become ``Failure`` records instead of exceptions, and
the child is restarted for the next request.  ``docs/protocol.md`` describes
the protocol for authors of engines in other languages.
"""

from __future__ import annotations

import logging
import math
import os
import shlex
import sys
import time
import weakref
from pathlib import Path
from typing import Callable, Mapping, Optional, Sequence

from oracle._errors import EngineLoadError, InvalidArgument
from oracle._graph import Graph, Point

from ._process_pipes import ChildExited, ChildProcess, LineTooLong, ReplyTimeout, describe_exit
from ._process_wire import Handshake, ProtocolError, decode_line, encode_request, parse_handshake, parse_reply
from ._result import EngineResult, Failure

__all__ = ["ProcessEngine", "SPEC_PREFIXES", "process_engine_from_spec", "python_engine_from_spec"]

_log = logging.getLogger(__name__)

#: Handshake failures in a row after which ``run`` stops restarting the child.
MAX_HANDSHAKE_FAILURES = 3
#: Default wait for a handshake, in seconds; importing a framework such as
#: torch in the child can take several seconds on its own.
DEFAULT_STARTUP_SECONDS = 30.0
#: Maximum wait, in seconds, for a child to exit after its stdin is closed.
CLOSE_GRACE_SECONDS = 2.0


class _HandshakeFailed(Exception):
    pass


def _close_slot(slot: list[Optional[ChildProcess]], grace: float) -> None:
    """Close the child kept in ``slot``; also runs at garbage collection and exit."""
    child = slot[0]
    slot[0] = None
    if child is not None:
        child.close(grace)


class ProcessEngine:
    """An engine served by a child process over the ``gradoracle.engine/1`` protocol.

    ``command`` is the argument list of the child (no shell).  ``timeout`` is
    the number of seconds allowed for each reply, and ``startup_timeout`` the
    number allowed for each handshake (default: ``timeout``, but at least 30).
    ``cwd`` and ``env`` are passed to ``subprocess.Popen``, so ``env``
    replaces the environment rather than extending it.  ``name`` overrides
    the engine name from the handshake in reports.

    The constructor starts the child and raises ``EngineLoadError`` when the
    handshake fails.  ``run`` returns failures of the child as results and
    raises only for caller errors.  Call
    ``close`` (or use a ``with`` block) to end the child; otherwise it is
    killed when the engine is garbage-collected or the interpreter exits.
    Instances are not thread-safe.
    """

    def __init__(
        self,
        command: Sequence[str],
        *,
        timeout: float = 10.0,
        cwd: Optional[str | os.PathLike[str]] = None,
        env: Optional[Mapping[str, str]] = None,
        name: Optional[str] = None,
        startup_timeout: Optional[float] = None,
    ) -> None:
        if isinstance(command, str) or not command or not all(isinstance(arg, str) for arg in command):
            raise InvalidArgument(
                f"command={command!r} must be a non-empty list of strings; use shlex.split for a command line"
            )
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not (
            math.isfinite(timeout) and timeout > 0
        ):
            raise InvalidArgument(f"timeout={timeout!r} must be a positive number of seconds")
        if startup_timeout is None:
            startup_timeout = max(float(timeout), DEFAULT_STARTUP_SECONDS)
        if isinstance(startup_timeout, bool) or not isinstance(startup_timeout, (int, float)) or not (
            math.isfinite(startup_timeout) and startup_timeout > 0
        ):
            raise InvalidArgument(f"startup_timeout={startup_timeout!r} must be a positive number of seconds")
        self.startup_timeout = float(startup_timeout)
        self.command = list(command)
        self.timeout = float(timeout)
        self.cwd = None if cwd is None else os.fspath(cwd)
        self.env = None if env is None else dict(env)

        self._slot: list[Optional[ChildProcess]] = [None]
        self._finalizer = weakref.finalize(self, _close_slot, self._slot, 0.0)
        self._next_id = 1
        self._handshake_failures = 0
        self._last_handshake_error = ""
        self._closed = False

        try:
            handshake = self._start(expected=None)
        except _HandshakeFailed as error:
            raise EngineLoadError(f"process engine {shlex.join(self.command)!r} failed to start: {error}") from None
        self.handshake: Handshake = handshake
        self.name: str = name if name is not None else handshake.engine
        self.supported_ops: frozenset[str] = handshake.ops
        self.dtype: str = handshake.dtype
        self.version: Optional[str] = handshake.version
        self.node_adjoints: bool = handshake.node_adjoints

    @property
    def pid(self) -> Optional[int]:
        """Process id of the running child, or None while none is running."""
        child = self._slot[0]
        return None if child is None else child.pid

    # --- lifecycle ----------------------------------------------------------

    def close(self) -> None:
        """Close the child's stdin, wait briefly for it to exit, then kill what remains."""
        self._closed = True
        self._finalizer.detach()
        _close_slot(self._slot, min(self.timeout, CLOSE_GRACE_SECONDS))

    def __enter__(self) -> "ProcessEngine":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _start(self, expected: Optional[Handshake]) -> Handshake:
        """Start a child and read its handshake; on failure kill it and raise ``_HandshakeFailed``."""
        try:
            child = ChildProcess(self.command, cwd=self.cwd, env=self.env)
        except OSError as error:
            raise _HandshakeFailed(f"could not start the command: {error}") from None

        deadline = time.monotonic() + self.startup_timeout
        try:
            handshake = parse_handshake(decode_line(child.read_line(deadline)))
            if expected is not None and handshake != expected:
                raise ProtocolError(
                    f"the restarted child sent a different handshake ({handshake}) than the first ({expected})"
                )
        except ReplyTimeout:
            problem = f"no handshake within {self.startup_timeout:g} s"
        except ChildExited as error:
            problem = f"the child {describe_exit(error.exit_code)} before its handshake"
        except (ProtocolError, LineTooLong) as error:
            problem = f"invalid handshake: {error}"
        else:
            self._slot[0] = child
            _log.debug("started child pid %d for %s (engine %s)", child.pid, shlex.join(self.command), handshake.engine)
            return handshake

        child.kill()
        tail = child.stderr_tail()
        _log.warning("child pid %d for %s failed its handshake: %s", child.pid, shlex.join(self.command), problem)
        raise _HandshakeFailed(problem + (f"; stderr tail: {tail[-1000:]!r}" if tail else ""))

    def _discard_child(self) -> str:
        """Kill the current child and return the tail of its stderr."""
        child = self._slot[0]
        self._slot[0] = None
        if child is None:
            return ""
        child.kill()
        return child.stderr_tail()

    # --- running --------------------------------------------------------

    def run(self, graph: Graph, point: Point) -> EngineResult:
        """Send one request and return the reply, or a ``Failure`` for a broken child.

        Raises ``InvalidArgument`` only for caller errors: a closed engine or a
        point that lacks a graph input.
        """
        if self._closed:
            raise InvalidArgument(f"process engine {self.name!r} is closed; create a new ProcessEngine")
        request_id = self._next_id
        self._next_id += 1
        request = encode_request(request_id, graph, point)

        if self._slot[0] is None:
            failure = self._restart()
            if failure is not None:
                return EngineResult(value=None, failure=failure)
        child = self._slot[0]
        assert child is not None

        deadline = time.monotonic() + self.timeout
        try:
            child.send(request, deadline)
            message = decode_line(child.read_line(deadline))
            return parse_reply(message, request_id, graph, node_data_promised=self.node_adjoints)
        except ReplyTimeout:
            pid = child.pid
            tail = self._discard_child()
            failure = Failure(
                phase="timeout",
                error_type="Timeout",
                message=f"no reply to request {request_id} within {self.timeout:g} s; "
                f"killed the child (pid {pid})" + _format_tail(tail),
            )
        except ChildExited as error:
            tail = self._discard_child()
            partial = f"; partial line {error.partial_line[:200]!r}" if error.partial_line else ""
            failure = Failure(
                phase="protocol",
                error_type="ChildExited",
                message=f"the child {describe_exit(error.exit_code)} during request {request_id}"
                + partial
                + _format_tail(tail),
            )
        except (ProtocolError, LineTooLong) as error:
            tail = self._discard_child()
            failure = Failure(
                phase="protocol",
                error_type="ProtocolError",
                message=f"request {request_id}: {error}" + _format_tail(tail),
            )
        _log.warning(
            "engine %s, request %d: %s: %s; the child is restarted for the next request",
            self.name,
            request_id,
            failure.error_type,
            failure.message.split("\n", 1)[0],
        )
        return EngineResult(value=None, failure=failure)

    def _restart(self) -> Optional[Failure]:
        """Start a new child, or return the failure that prevents it."""
        if self._handshake_failures >= MAX_HANDSHAKE_FAILURES:
            return Failure(
                phase="protocol",
                error_type="HandshakeFailed",
                message=f"the child failed its handshake {self._handshake_failures} times in a row, "
                f"so it is not restarted; last error: {self._last_handshake_error}",
            )
        try:
            self._start(expected=self.handshake)
        except _HandshakeFailed as error:
            self._handshake_failures += 1
            self._last_handshake_error = str(error)
            return Failure(
                phase="protocol",
                error_type="HandshakeFailed",
                message=f"restarting the child failed (attempt {self._handshake_failures} of "
                f"{MAX_HANDSHAKE_FAILURES}): {error}",
            )
        self._handshake_failures = 0
        _log.info("restarted the child for engine %s as pid %s", self.name, self.pid)
        return None

    def __repr__(self) -> str:
        return f"ProcessEngine({self.command!r}, name={getattr(self, 'name', None)!r}, pid={self.pid})"


def _format_tail(tail: str) -> str:
    return f"\nstderr tail:\n{tail}" if tail else ""


# --- engine specs -------------------------------------------------------------


def process_engine_from_spec(command_line: str) -> ProcessEngine:
    """Build the engine for the spec ``process:COMMAND_LINE`` (split with ``shlex``)."""
    command = shlex.split(command_line)
    if not command:
        raise EngineLoadError("spec 'process:' needs a command, e.g. 'process:node examples/js-port/driver.js'")
    return ProcessEngine(command, name=f"process:{command_line}")


def python_engine_from_spec(spec: str) -> ProcessEngine:
    """Build the engine for ``python:SPEC``: the Python engine SPEC served by a child interpreter."""
    if not spec.strip():
        raise EngineLoadError("spec 'python:' needs an engine spec, e.g. 'python:reference'")
    # The child imports this package, so make it importable from any working directory.
    package_root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    return ProcessEngine([sys.executable, "-m", "engines._child", spec], env=env, name=f"python:{spec}")


#: Engine spec prefixes served by child processes, mapped to their factories.
#: Each factory takes the text after ``PREFIX:``.
SPEC_PREFIXES: dict[str, Callable[[str], ProcessEngine]] = {
    "process": process_engine_from_spec,
    "python": python_engine_from_spec,
}
