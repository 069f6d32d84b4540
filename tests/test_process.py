"""Process engines: the protocol with a real child, and children that misbehave."""

from __future__ import annotations

import json
import math
import os
import re
import struct
import sys
import time
from pathlib import Path

import pytest

from engines._process import SPEC_PREFIXES, ProcessEngine
from engines._process_wire import ProtocolError, decode_line, parse_handshake, parse_reply
from engines.reference import ReferenceEngine
from oracle import OP_NAMES, EngineLoadError, InvalidArgument, parse_expression

DOUBLES = Path(__file__).parent / "process_doubles"
CHILD = [sys.executable, "-m", "engines._child", "reference"]

WORKED = parse_expression("(a*b + c)*f")
WORKED_POINT = {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}
BOOM = parse_expression("boom*boom + 1")


def double(name: str, *args: str) -> list[str]:
    return [sys.executable, str(DOUBLES / name), *args]


def bits(value: float | None) -> object:
    """Compare floats bit for bit, so -0.0 differs from 0.0 and every nan is equal."""
    if value is None:
        return None
    if math.isnan(value):
        return "nan"
    return struct.pack("<d", value)


def child_pids() -> set[int]:
    """Return the pids of processes whose parent is this test process."""
    pids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        parent = int(text.rsplit(")", 1)[1].split()[1])
        if parent == os.getpid():
            pids.add(int(stat.parent.name))
    return pids


def is_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return text.rsplit(")", 1)[1].split()[0] != "Z"


def wait_until_gone(pid: int, seconds: float = 5.0) -> bool:
    limit = time.monotonic() + seconds
    while time.monotonic() < limit:
        if not is_alive(pid):
            return True
        time.sleep(0.02)
    return False


needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="process checks read /proc (Linux)")


def assert_worked_example(result) -> None:
    assert result.failure is None, result.failure
    assert result.value == -8.0
    assert result.gradient == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0}
    assert result.node_values == [-6.0, 4.0, -8.0]
    assert result.node_adjoints == [-2.0, -2.0, 1.0]


# --- a well-behaved child ----------------------------------------------------


def test_reference_child_worked_example():
    with ProcessEngine(CHILD) as engine:
        assert engine.name == "reference"
        assert engine.supported_ops == frozenset(OP_NAMES)
        assert engine.dtype == "float64"
        assert engine.node_adjoints is True
        assert_worked_example(engine.run(WORKED, WORKED_POINT))


EXACT_CASES = [
    ("x*y", {"x": 1e308, "y": 10.0}),  # overflow to inf
    ("x*y", {"x": -1e308, "y": 10.0}),
    ("log(x)*y", {"x": 0.0, "y": -0.0}),  # -inf times -0.0 is nan
    ("sqrt(x) + y", {"x": -1.0, "y": 2.0}),
    ("x*y", {"x": 5e-324, "y": 0.5}),  # subnormal rounds to zero
    ("x/y", {"x": 1.0, "y": 3.0}),
    ("-x*y", {"x": 0.0, "y": 1.0}),  # negative zero
    ("exp(x) - 2**x", {"x": 1e-300}),
    ("x**y + max(0.1, x)", {"x": 1.7976931348623157e308, "y": 0.5}),
    ("tanh(x) + sigmoid(y)", {"x": 0.1 + 0.2, "y": -745.0}),
]


@pytest.mark.parametrize("text, point", EXACT_CASES)
def test_child_values_travel_exactly(text, point):
    graph = parse_expression(text)
    expected = ReferenceEngine().run(graph, point)
    with ProcessEngine(CHILD) as engine:
        result = engine.run(graph, point)
    assert result.failure is None
    assert bits(result.value) == bits(expected.value)
    assert {k: bits(v) for k, v in result.gradient.items()} == {k: bits(v) for k, v in expected.gradient.items()}
    assert [bits(v) for v in result.node_values] == [bits(v) for v in expected.node_values]
    assert [bits(v) for v in result.node_adjoints] == [bits(v) for v in expected.node_adjoints]


def test_python_spec_prefix():
    with SPEC_PREFIXES["python"]("reference") as engine:
        assert engine.name == "python:reference"
        assert_worked_example(engine.run(WORKED, WORKED_POINT))


def test_process_spec_prefix_splits_words(tmp_path):
    spec = f"{sys.executable} -m engines._child 'reference'"
    with SPEC_PREFIXES["process"](spec) as engine:
        assert engine.name == f"process:{spec}"
        assert engine.command[-1] == "reference"
        assert_worked_example(engine.run(WORKED, WORKED_POINT))


def test_load_engine_resolves_process_specs():
    from engines._spec import load_engine

    with load_engine("python:reference") as engine:
        assert engine.name == "python:reference"
        assert_worked_example(engine.run(WORKED, WORKED_POINT))
    with load_engine(f"process:{sys.executable} -m engines._child reference") as engine:
        assert_worked_example(engine.run(WORKED, WORKED_POINT))


def test_child_serves_value_like_spec():
    pytest.importorskip("micrograd")
    with SPEC_PREFIXES["python"]("micrograd.engine:Value") as engine:
        assert engine.supported_ops == frozenset({"add", "sub", "mul", "div", "neg", "pow", "relu"})
        assert engine.node_adjoints is False
        assert_worked_example(engine.run(WORKED, WORKED_POINT))
        result = engine.run(parse_expression("2 - a*a"), {"a": 3.0})
        assert result.value == -7.0
        assert result.gradient == {"a": -6.0}


def test_child_serves_framework_spec():
    pytest.importorskip("torch")
    with SPEC_PREFIXES["python"]("torch") as engine:
        assert engine.name == "python:torch"
        assert_worked_example(engine.run(WORKED, WORKED_POINT))


@pytest.mark.parametrize(
    "options, fragment",
    [
        ({"command": "python -m engines._child reference"}, "non-empty list of strings"),
        ({"command": []}, "non-empty list of strings"),
        ({"command": CHILD, "timeout": 0}, "timeout=0"),
        ({"command": CHILD, "timeout": math.inf}, "timeout=inf"),
        ({"command": CHILD, "startup_timeout": -1.0}, "startup_timeout=-1.0"),
    ],
)
def test_invalid_arguments_rejected(options, fragment):
    with pytest.raises(InvalidArgument, match=re.escape(fragment)):
        ProcessEngine(**options)


def test_empty_process_spec_rejected():
    with pytest.raises(EngineLoadError, match="needs a command"):
        SPEC_PREFIXES["process"]("  ")


def test_unknown_child_spec_fails_handshake():
    with pytest.raises(EngineLoadError, match="before its handshake.*no-such-engine"):
        ProcessEngine([sys.executable, "-m", "engines._child", "no-such-engine"])


def test_missing_command_fails_to_start():
    with pytest.raises(EngineLoadError, match="could not start"):
        ProcessEngine(["/nonexistent/engine-binary"])


def test_point_missing_input_raises():
    with ProcessEngine(CHILD) as engine:
        with pytest.raises(InvalidArgument, match="missing inputs"):
            engine.run(WORKED, {"a": 1.0})


def test_run_after_close_raises():
    engine = ProcessEngine(CHILD)
    engine.close()
    with pytest.raises(InvalidArgument, match="closed"):
        engine.run(WORKED, WORKED_POINT)


def test_engine_prints_do_not_corrupt_protocol(tmp_path):
    # fd 1 of the child goes to stderr, so a chatty engine cannot break the wire.
    script = tmp_path / "chatty.py"
    script.write_text(
        "import os, sys\n"
        "import engines.reference as r\n"
        "original = r.Value.backward\n"
        "def noisy(self):\n"
        "    print('debug output from backward', flush=True)\n"
        "    os.write(1, b'raw bytes on fd 1\\n')\n"
        "    original(self)\n"
        "r.Value.backward = noisy\n"
        "from engines._child import main\n"
        "sys.exit(main(['reference']))\n"
    )
    with ProcessEngine([sys.executable, str(script)]) as engine:
        assert_worked_example(engine.run(WORKED, WORKED_POINT))


def chain(length: int):
    """Return a chain of ``length`` nodes, whose request is far larger than a pipe buffer."""
    return parse_expression("; ".join(["t0 = x*1.0001"] + [f"t{i} = t{i - 1}*1.0001 + x" for i in range(1, length)]))


def test_large_graph_round_trip():
    graph = chain(4000)
    expected = ReferenceEngine().run(graph, {"x": 0.5})
    with ProcessEngine(CHILD) as engine:
        result = engine.run(graph, {"x": 0.5})
    assert result.failure is None
    assert result.value == expected.value
    assert result.gradient == expected.gradient
    assert result.node_adjoints == expected.node_adjoints


def test_child_not_reading_times_out(tmp_path):
    # The request does not fit in the pipe, so only a deadline on the write ends the wait.
    script = tmp_path / "deaf.py"
    script.write_text(
        "import json, time\n"
        "from engines._child import handshake_for\n"
        "from engines.reference import ReferenceEngine\n"
        "print(json.dumps(handshake_for(ReferenceEngine())), flush=True)\n"
        "time.sleep(600)\n"
    )
    with ProcessEngine([sys.executable, str(script)], timeout=1.0) as engine:
        started = time.monotonic()
        result = engine.run(chain(4000), {"x": 0.5})
        assert time.monotonic() - started < 5.0
        assert result.failure is not None
        assert result.failure.phase == "timeout"


# --- children that misbehave ---------------------------------------------------

FAULTS = [
    ("exits_mid_request.py", "protocol", "ChildExited", "exited with code 3"),
    ("malformed_json.py", "protocol", "ProtocolError", "not valid JSON"),
    ("wrong_id.py", "protocol", "ProtocolError", "does not match request id"),
]


@pytest.mark.parametrize("script, phase, error_type, fragment", FAULTS)
def test_fault_becomes_failure_then_restarts(script, phase, error_type, fragment):
    with ProcessEngine(double(script)) as engine:
        assert_worked_example(engine.run(WORKED, WORKED_POINT))
        first_pid = engine.pid

        result = engine.run(BOOM, {"boom": 1.0})
        assert result.failure is not None
        assert result.failure.phase == phase
        assert result.failure.error_type == error_type
        assert fragment in result.failure.message
        assert engine.pid is None

        assert_worked_example(engine.run(WORKED, WORKED_POINT))
        assert engine.pid != first_pid
    assert wait_until_gone(first_pid)


def test_exit_message_keeps_stderr_and_partial_line():
    with ProcessEngine(double("exits_mid_request.py")) as engine:
        result = engine.run(BOOM, {"boom": 1.0})
    assert "double: exiting mid-request" in result.failure.message
    assert "partial line" in result.failure.message


BAD_REPLIES = [
    ("missing_gradient", "missing the field 'gradient'"),
    ("string_value", "is not a float"),
    ("bare_nan", "bare JSON token NaN"),
    ("short_nodes", "must be a list of 1 floats"),
]


@pytest.mark.parametrize("fault, fragment", BAD_REPLIES)
def test_bad_reply_fields_are_protocol_failures(fault, fragment):
    graph = parse_expression(f"{fault}*boom")
    with ProcessEngine(double("bad_reply.py")) as engine:
        result = engine.run(graph, {fault: 2.0, "boom": 3.0})
        assert result.failure is not None
        assert result.failure.phase == "protocol"
        assert result.failure.error_type == "ProtocolError"
        assert fragment in result.failure.message
        assert_worked_example(engine.run(WORKED, WORKED_POINT))


def test_error_reply_keeps_the_child():
    graph = parse_expression("error_reply*boom")
    with ProcessEngine(double("bad_reply.py")) as engine:
        pid = engine.pid
        result = engine.run(graph, {"error_reply": 2.0, "boom": 3.0})
        assert result.failure is not None
        assert result.failure.phase == "backward"
        assert result.failure.error_type == "ZeroDivisionError"
        assert result.failure.message == "float division by zero"
        assert engine.pid == pid


@needs_proc
def test_hang_times_out_and_kills_group():
    with ProcessEngine(double("hangs.py"), timeout=1.0) as engine:
        pid = engine.pid
        started = time.monotonic()
        result = engine.run(BOOM, {"boom": 1.0})
        elapsed = time.monotonic() - started

        assert result.failure is not None
        assert result.failure.phase == "timeout"
        assert result.failure.error_type == "Timeout"
        assert f"pid {pid}" in result.failure.message
        assert elapsed < 5.0
        assert not is_alive(pid)
        grandchild = int(result.failure.message.split("grandchild=")[1].split()[0])
        assert wait_until_gone(grandchild)

        assert_worked_example(engine.run(WORKED, WORKED_POINT))


@pytest.mark.parametrize(
    "mode, fragment",
    [
        ("garbage", "not valid JSON"),
        ("version", "unsupported major version"),
        ("silent", "no handshake within 0.5 s"),
        ("exit", "exited with code 5 before its handshake"),
    ],
)
def test_bad_handshake_rejected_at_start(tmp_path, mode, fragment):
    with pytest.raises(EngineLoadError) as caught:
        ProcessEngine(double("bad_handshake.py", str(tmp_path / "starts"), mode, "b"), startup_timeout=0.5)
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)


def test_bad_handshake_on_restart_then_recovers(tmp_path):
    state = tmp_path / "starts"
    with ProcessEngine(double("bad_handshake.py", str(state), "garbage", "gbg")) as engine:
        crash = engine.run(BOOM, {"boom": 1.0})
        assert crash.failure.error_type == "ChildExited"

        refused = engine.run(WORKED, WORKED_POINT)
        assert refused.failure is not None
        assert refused.failure.phase == "protocol"
        assert refused.failure.error_type == "HandshakeFailed"
        assert "attempt 1 of 3" in refused.failure.message

        assert_worked_example(engine.run(WORKED, WORKED_POINT))
    assert state.read_text() == "3"


def test_repeated_handshake_failures_stop_restarts(tmp_path):
    state = tmp_path / "starts"
    with ProcessEngine(double("bad_handshake.py", str(state), "version", "gb")) as engine:
        engine.run(BOOM, {"boom": 1.0})
        for attempt in (1, 2, 3):
            result = engine.run(WORKED, WORKED_POINT)
            assert result.failure.error_type == "HandshakeFailed"
            assert f"attempt {attempt} of 3" in result.failure.message
        assert state.read_text() == "4"

        started = time.monotonic()
        result = engine.run(WORKED, WORKED_POINT)
        assert time.monotonic() - started < 0.1
        assert result.failure.error_type == "HandshakeFailed"
        assert "3 times in a row" in result.failure.message
        assert "unsupported major version" in result.failure.message
        assert state.read_text() == "4"


def test_several_requests_after_crash():
    graph = parse_expression("t = a*b + c; t*t - sin(a)")
    reference = ReferenceEngine()
    with ProcessEngine(double("exits_mid_request.py")) as engine:
        assert engine.run(BOOM, {"boom": 1.0}).failure.error_type == "ChildExited"
        for step in range(25):
            point = {"a": 0.5 * step, "b": -1.25, "c": step / 7}
            result = engine.run(graph, point)
            expected = reference.run(graph, point)
            assert result.failure is None
            assert result.value == expected.value
            assert result.gradient == expected.gradient


# --- cleanup -----------------------------------------------------------------


@needs_proc
def test_no_children_left_after_faults():
    before = child_pids()
    engines = [ProcessEngine(double(name), timeout=1.0) for name, *_ in FAULTS]
    engines.append(ProcessEngine(double("hangs.py"), timeout=1.0))
    for engine in engines:
        engine.run(BOOM, {"boom": 1.0})
        engine.run(WORKED, WORKED_POINT)
    assert len(child_pids() - before) == len(engines)
    for engine in engines:
        engine.close()
    assert child_pids() - before == set()


@needs_proc
def test_close_kills_child_ignoring_eof():
    engine = ProcessEngine(double("hangs.py", "--ignore-eof"), timeout=0.5)
    pid = engine.pid
    started = time.monotonic()
    engine.close()
    assert time.monotonic() - started < 3.0
    assert not is_alive(pid)
    assert pid not in child_pids()


@needs_proc
def test_garbage_collection_kills_child():
    engine = ProcessEngine(CHILD)
    pid = engine.pid
    del engine
    assert wait_until_gone(pid)
    assert pid not in child_pids()


# --- wire checks without a child ------------------------------------------------

HANDSHAKE = {
    "protocol": "gradoracle.engine/1",
    "engine": "toy",
    "version": None,
    "ops": ["add", "mul"],
    "dtype": "float64",
    "node_adjoints": False,
}


def test_handshake_accepts_minor_version_and_extra_fields():
    handshake = parse_handshake({**HANDSHAKE, "protocol": "gradoracle.engine/1.3", "color": "blue"})
    assert handshake.ops == frozenset({"add", "mul"})


@pytest.mark.parametrize(
    "change, fragment",
    [
        ({"protocol": "gradoracle.engine/2"}, "unsupported major version"),
        ({"protocol": "micrograd/1"}, "not of the form"),
        ({"ops": ["add", "frobnicate"]}, "not in the op table"),
        ({"dtype": "float16"}, "dtype"),
        ({"engine": ""}, "engine"),
        ({"node_adjoints": "yes"}, "node_adjoints"),
    ],
)
def test_handshake_rejections(change, fragment):
    with pytest.raises(ProtocolError, match=fragment):
        parse_handshake({**HANDSHAKE, **change})


def test_reply_accepts_every_float_form():
    graph = parse_expression("x*y")
    line = json.dumps(
        {
            "id": 4,
            "value": "-inf",
            "gradient": {"x": 0.1, "y": {"decimal": "1e-320", "hex": (1e-320).hex()}},
            "node_values": [{"hex": "-0x0.0p+0"}],
            "node_adjoints": [None],
        }
    ).encode()
    result = parse_reply(decode_line(line), 4, graph, node_data_promised=True)
    assert result.value == -math.inf
    assert result.gradient == {"x": 0.1, "y": 1e-320}
    assert bits(result.node_values[0]) == bits(-0.0)
    assert result.node_adjoints == [None]


@pytest.mark.parametrize(
    "reply, fragment",
    [
        ({"id": 5, "value": 1.0, "gradient": {"x": 1.0, "y": 1.0}}, "does not match"),
        ({"id": True, "value": 1.0, "gradient": {"x": 1.0, "y": 1.0}}, "does not match"),
        ({"id": 4, "value": 1.0, "gradient": {"x": 1.0}}, "missing inputs ['y']"),
        ({"id": 4, "value": 1.0, "gradient": {"x": 1.0, "y": 1.0, "z": 0.0}}, "not graph inputs"),
        ({"id": 4, "value": True, "gradient": {"x": 1.0, "y": 1.0}}, "not a float"),
        ({"id": 4, "value": 10**400, "gradient": {"x": 1.0, "y": 1.0}}, "too large"),
        ({"id": 4, "value": {"decimal": "1.0", "hex": "0x1.8p+0"}, "gradient": {"x": 1.0, "y": 1.0}}, "not a float"),
        ({"id": 4, "error": {"phase": "timeout", "type": "E", "message": "m"}}, "phase"),
        ({"id": 4, "error": "it broke"}, "must be an object"),
        ({"id": 4, "value": 1.0, "gradient": {"x": 1.0, "y": 1.0}}, "handshake promised"),
    ],
)
def test_reply_rejections(reply, fragment):
    graph = parse_expression("x*y")
    promised = fragment == "handshake promised"
    with pytest.raises(ProtocolError, match=re.escape(fragment)):
        parse_reply(reply, 4, graph, node_data_promised=promised)


@pytest.mark.parametrize("line", [b"[1, 2]", b"\xff\xfe", b"{\"id\": 1,"])
def test_decode_line_rejections(line):
    with pytest.raises(ProtocolError):
        decode_line(line)
