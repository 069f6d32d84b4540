"""A child process with non-blocking pipes, deadlines and a stderr tail.

``ChildProcess`` writes request bytes and reads reply lines without ever
blocking past a deadline: one ``selectors`` loop drains stdout and stderr
while it writes, so a child that fills a pipe cannot deadlock the oracle.
The child runs in its own session, so killing it also kills any processes it
started in its process group.

NOTE: this relies on POSIX pipes in ``selectors`` and on process groups, so
it works on Linux and macOS but not on Windows.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
from typing import Mapping, Optional, Sequence

__all__ = ["ChildProcess", "ChildExited", "ReplyTimeout", "LineTooLong", "describe_exit"]

#: Bytes of stderr kept for failure messages.
STDERR_TAIL_BYTES = 8192
#: Maximum stdout line length in bytes; a child that streams more without a newline is broken.
MAX_LINE_BYTES = 64 * 1024 * 1024
#: How long to wait for the exit code of a child that closed its stdout.
EXIT_WAIT_SECONDS = 1.0
#: How long ``kill`` waits for the kernel to reap a child after SIGKILL.
REAP_SECONDS = 5.0


class ChildExited(Exception):
    """The child closed its stdout or stdin; ``exit_code`` is None if it is still running."""

    def __init__(self, exit_code: Optional[int], partial_line: bytes = b"") -> None:
        self.exit_code = exit_code
        self.partial_line = partial_line
        super().__init__(describe_exit(exit_code))


class ReplyTimeout(Exception):
    """The deadline passed before the child wrote a full line or read the request."""


class LineTooLong(Exception):
    """The child wrote more than ``MAX_LINE_BYTES`` without a newline."""


def describe_exit(exit_code: Optional[int]) -> str:
    """Return 'exited with code 3', 'was killed by SIGSEGV' or 'is still running'."""
    if exit_code is None:
        return "closed its stdout but is still running"
    if exit_code < 0:
        try:
            name = signal.Signals(-exit_code).name
        except ValueError:
            name = f"signal {-exit_code}"
        return f"was killed by {name}"
    return f"exited with code {exit_code}"


class ChildProcess:
    """One running child with its three pipes; not thread-safe."""

    def __init__(
        self,
        command: Sequence[str],
        *,
        cwd: Optional[str] = None,
        env: Optional[Mapping[str, str]] = None,
    ) -> None:
        self.process = subprocess.Popen(
            list(command),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            bufsize=0,
            cwd=cwd,
            env=None if env is None else dict(env),
            start_new_session=True,  # own process group, so kill() reaches grandchildren
        )
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        assert self.process.stderr is not None
        self._stdin = self.process.stdin
        self._stdout = self.process.stdout
        self._stderr = self.process.stderr
        for stream in (self._stdin, self._stdout, self._stderr):
            os.set_blocking(stream.fileno(), False)

        self._selector = selectors.DefaultSelector()
        self._selector.register(self._stdout, selectors.EVENT_READ, "stdout")
        self._selector.register(self._stderr, selectors.EVENT_READ, "stderr")
        self._stdout_buffer = bytearray()
        self._stdout_open = True
        self._stderr_open = True
        self._stderr_tail = bytearray()
        self._closed = False

    @property
    def pid(self) -> int:
        return self.process.pid

    def stderr_tail(self) -> str:
        """Return the last ``STDERR_TAIL_BYTES`` of stderr, decoding invalid UTF-8 as U+FFFD."""
        self._drain(timeout=0.0)
        return self._stderr_tail.decode("utf-8", errors="replace").strip()

    # --- I/O ------------------------------------------------------------

    def send(self, data: bytes, deadline: float) -> None:
        """Write all of ``data`` to stdin before ``deadline`` (a ``time.monotonic`` value).

        Raises ``ChildExited`` when the child closed its stdin and
        ``ReplyTimeout`` when the pipe stays full until the deadline.
        """
        view = memoryview(data)
        offset = 0
        registered = False
        try:
            while offset < len(view):
                try:
                    offset += os.write(self._stdin.fileno(), view[offset:])
                    continue
                except BlockingIOError:
                    pass
                except BrokenPipeError:
                    raise ChildExited(self._await_exit(EXIT_WAIT_SECONDS)) from None
                if not registered:
                    self._selector.register(self._stdin, selectors.EVENT_WRITE, "stdin")
                    registered = True
                self._wait(deadline)
        finally:
            if registered:
                self._selector.unregister(self._stdin)

    def read_line(self, deadline: float) -> bytes:
        """Return the next stdout line without its newline, waiting until ``deadline``."""
        while True:
            end = self._stdout_buffer.find(b"\n")
            if end >= 0:
                line = bytes(self._stdout_buffer[:end])
                del self._stdout_buffer[: end + 1]
                return line.rstrip(b"\r")
            if len(self._stdout_buffer) > MAX_LINE_BYTES:
                raise LineTooLong(f"the child wrote more than {MAX_LINE_BYTES} bytes without a newline")
            if not self._stdout_open:
                partial = bytes(self._stdout_buffer)
                self._stdout_buffer.clear()
                raise ChildExited(self._await_exit(EXIT_WAIT_SECONDS), partial)
            self._wait(deadline)

    def _wait(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ReplyTimeout()
        self._drain(timeout=remaining)

    def _drain(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for pipe events and read what is ready."""
        if self._closed:
            return
        if not (self._stdout_open or self._stderr_open):
            # Nothing left to watch, so an empty select would only sleep.
            time.sleep(min(timeout, 0.01))
            return
        for key, _ in self._selector.select(timeout):
            if key.data == "stdout":
                chunk = self._read(self._stdout)
                if chunk is None:
                    continue
                if chunk:
                    self._stdout_buffer += chunk
                else:
                    self._selector.unregister(self._stdout)
                    self._stdout_open = False
            elif key.data == "stderr":
                chunk = self._read(self._stderr)
                if chunk is None:
                    continue
                if chunk:
                    self._stderr_tail += chunk
                    del self._stderr_tail[:-STDERR_TAIL_BYTES]
                else:
                    self._selector.unregister(self._stderr)
                    self._stderr_open = False

    @staticmethod
    def _read(stream) -> Optional[bytes]:
        try:
            return os.read(stream.fileno(), 65536)
        except BlockingIOError:
            return None

    # --- ending -----------------------------------------------------------

    def _await_exit(self, timeout: float) -> Optional[int]:
        """Wait up to ``timeout`` seconds for the child to exit, draining its output."""
        limit = time.monotonic() + timeout
        while True:
            code = self.process.poll()
            if code is not None or time.monotonic() >= limit:
                return code
            self._drain(timeout=min(0.01, max(0.0, limit - time.monotonic())))

    def close(self, grace: float) -> Optional[int]:
        """Close stdin, give the child ``grace`` seconds to exit, then kill it.

        Returns the exit code, or None when the child had to be killed.
        """
        if self._closed:
            return self.process.returncode
        try:
            self._stdin.close()
        except BrokenPipeError:
            pass
        code = self._await_exit(grace)
        self.kill()
        return code

    def kill(self) -> None:
        """Kill the child's process group, reap the child and close the pipes."""
        if self._closed:
            return
        # The group outlives its leader while grandchildren remain, so signal
        # it even when the child itself has exited.
        # NOTE: if the child was reaped earlier and its pid was reused as a new
        # group id in the meantime, this signals an unrelated group.
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.process.wait(timeout=REAP_SECONDS)
        except subprocess.TimeoutExpired:
            pass  # a process stuck in the kernel; Popen reaps it when it ends
        for _ in range(100):  # keep what the child wrote to stderr before it died
            if not self._stderr_open:
                break
            self._drain(timeout=0.0)
        self._selector.close()
        for stream in (self._stdin, self._stdout, self._stderr):
            try:
                stream.close()
            except OSError:
                pass
        self._closed = True
