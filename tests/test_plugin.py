"""The pytest plugin, run in real pytest sessions with ``pytester``.

Engines come from this repository (``engines.reference``, ``tests.doubles``)
and from PyPI (``micrograd``), so child sessions need the repository on
``sys.path``: in-process runs share this process's path, and subprocess
runs get it through ``PYTHONPATH``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from oracle._parse import parse_expression
from tests.doubles import DOUBLES

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
ALL_OPS = 19


@pytest.fixture(autouse=True)
def terminal_profile(monkeypatch: pytest.MonkeyPatch):
    """Run the child sessions as on a user's terminal.

    With CI set, Hypothesis loads its "ci" profile: no example database,
    derandomized draws and longer reports.  These tests pin what a user sees
    at a terminal (and the database replay), so they use the default profile.
    """
    from hypothesis import settings

    monkeypatch.delenv("CI", raising=False)
    previous = settings.get_current_profile_name()
    settings.load_profile("default")
    yield
    settings.load_profile(previous)


@pytest.fixture
def child_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the repository importable and the help text 80 columns wide in child sessions."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("COLUMNS", "80")


def outcomes_by_name(result: pytest.RunResult) -> dict[str, str]:
    """Map each generated test name to PASSED or FAILED, read from the ``-rA`` summary."""
    return outcomes_in(result.outlines)


def outcomes_in(lines: list[str]) -> dict[str, str]:
    outcomes = {}
    for line in lines:
        match = re.match(r"(PASSED|FAILED) gradoracle::(test_\w+\[[^\]]+\])", line)
        if match:
            outcomes[match.group(2)] = match.group(1)
    return outcomes


def failed_names(result: pytest.RunResult) -> set[str]:
    return {name for name, outcome in outcomes_by_name(result).items() if outcome == "FAILED"}


def failure_section(result: pytest.RunResult, name: str) -> str:
    """Return the text of the failure report of test ``name``."""
    return section_in(result.stdout.str(), name)


def section_in(text: str, name: str) -> str:
    start = text.index(f"_ {name} _")
    following = re.search(r"\n_{3,} test_\w+\[|\n={3,} ", text[start + 1:])
    return text[start:start + 1 + following.start()] if following else text[start:]


# --- the plugin is cheap to load ---------------------------------------------


def test_import_loads_nothing_heavy() -> None:
    heavy = ["mpmath", "gmpy2", "torch", "jax", "tinygrad", "autograd", "engines", "strategies", "micrograd"]
    script = (
        "import sys, oracle.pytest_plugin\n"
        f"print(','.join(name for name in {heavy!r} if name in sys.modules))\n"
    )
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT)
    assert output.stdout.strip() == ""


def test_plugin_registered_as_entry_point(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--trace-config", "--co", "-q")
    result.stdout.fnmatch_lines(["*oracle/pytest_plugin.py*"])


# --- options -------------------------------------------------------------------


def test_help_block_pinned(pytester: pytest.Pytester, child_env: None) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines([
        "gradoracle: check the gradients of an autograd engine:",
        "  --oracle-engine=SPEC  Engine spec to check (repeatable): reference,",
        "                        module:Class, module:Class@DIR, torch, jax,",
        "                        process:COMMAND ... Default: none.",
        "  --oracle-ops=LIST     Comma-separated op names to draw from, e.g.",
        "                        add,mul,tanh; each engine uses the ones it supports.",
        "                        Default: none.",
        "  --oracle-max-examples=N",
        "                        Examples per engine. Default: 300.",
        "  --oracle-time=SECONDS",
        "                        Time budget in seconds for the whole campaign. Default:",
        "                        none.",
        "  --oracle-seed=N       Seed of the campaign; the same seed draws the same",
        "                        examples. Default: 0.",
        "  --oracle-max-nodes=N  Largest graph to draw, in nodes. Default: 8.",
    ])
    result.stdout.fnmatch_lines([
        "  oracle_engine (linelist):",
        "  oracle_ops (string):  Comma-separated op names to draw from, e.g.",
        "  oracle_max_examples (string):",
        "  oracle_time (string): Time budget in seconds for the whole campaign. Default:",
        "  oracle_seed (string): Seed of the campaign; the same seed draws the same",
        "  oracle_max_nodes (string):",
    ])


def test_no_engine_adds_no_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_one():\n    pass\n")
    result = pytester.runpytest("-q")
    result.assert_outcomes(passed=1)


def test_collect_names_per_op_family(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--co", "-q", "--oracle-engine", "engines.reference:Value", "--oracle-ops", "add,tanh")
    result.stdout.fnmatch_lines([
        "gradoracle::test_gradients[[]Value-add[]]",
        "gradoracle::test_gradients[[]Value-tanh[]]",
        "gradoracle::test_gradients[[]Value-mixed[]]",
        "gradoracle::test_state[[]Value-backward-twice[]]",
        "gradoracle::test_state[[]Value-reuse-after-backward[]]",
        "5 tests collected*",
    ])


def test_collect_only_supported_ops(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--co", "-q", "--oracle-engine", "micrograd.engine:Value")
    names = re.findall(r"test_gradients\[Value-(\w+)\]", result.stdout.str())
    assert names == ["add", "sub", "mul", "div", "neg", "pow", "relu", "mixed"]


def test_ini_options_read(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\noracle_engine = engines.reference:Value\noracle_ops = sin,cos\n")
    result = pytester.runpytest("--co", "-q")
    result.stdout.fnmatch_lines(["gradoracle::test_gradients[[]Value-sin[]]", "gradoracle::test_gradients[[]Value-cos[]]"])
    assert "Value-tanh" not in result.stdout.str()


def test_command_line_overrides_ini(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\noracle_engine = engines.reference:Value\noracle_ops = sin,cos\n")
    result = pytester.runpytest("--co", "-q", "--oracle-ops", "exp")
    result.stdout.fnmatch_lines(["gradoracle::test_gradients[[]Value-exp[]]"])
    assert "Value-sin" not in result.stdout.str()


def test_marker_deselects_generated_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_one():\n    pass\n")
    result = pytester.runpytest("-q", "-m", "not gradoracle", "--oracle-engine", "engines.reference:Value")
    result.assert_outcomes(passed=1, deselected=ALL_OPS + 3)


@pytest.mark.parametrize("arguments, message", [
    (["--oracle-ops", "tanhh"], "*--oracle-ops: ops: 'tanhh' is not an op (did you mean 'tanh'?)*"),
    (["--oracle-max-examples", "0"], "*--oracle-max-examples=0 must be at least 1*"),
    (["--oracle-max-examples", "many"], "*--oracle-max-examples='many' is not a valid int*"),
    (["--oracle-time", "-1"], "*--oracle-time=-1.0 must be a positive number of seconds*"),
])
def test_invalid_option_rejected(pytester: pytest.Pytester, arguments: list[str], message: str) -> None:
    result = pytester.runpytest("--oracle-engine", "reference", *arguments)
    result.stderr.fnmatch_lines([message])
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_unknown_engine_is_collection_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--oracle-engine", "nosuchmodule:Value")
    result.stdout.fnmatch_lines(["*--oracle-engine 'nosuchmodule:Value': *module 'nosuchmodule' not found*"])
    assert result.ret == pytest.ExitCode.INTERRUPTED


# --- verdicts on real engines ---------------------------------------------------


def test_reference_and_correct_double_pass(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("-rA", "--oracle-engine", "engines.reference:Value",
                                "--oracle-engine", "tests.doubles:GoodValue", "--oracle-max-examples", "44")
    outcomes = outcomes_by_name(result)
    assert len(outcomes) == 2 * (ALL_OPS + 3)
    assert "test_gradients[GoodValue-tanh]" in outcomes
    assert failed_names(result) == set()
    result.assert_outcomes(passed=2 * (ALL_OPS + 3))


def test_micrograd_fails_only_with_real_defects(pytester: pytest.Pytester) -> None:
    # div is checked on its own below.
    result = pytester.runpytest("-rA", "--oracle-engine", "micrograd.engine:Value",
                                "--oracle-ops", "add,sub,mul,neg,pow,relu", "--oracle-max-examples", "80")
    assert failed_names(result) == {
        "test_gradients[Value-pow]",
        "test_state[Value-backward-twice]",
        "test_state[Value-reuse-after-backward]",
    }
    power = failure_section(result, "test_gradients[Value-pow]")
    assert "crash" in power
    assert "expression: x**0" in power
    assert "inputs:     x = 0.0" in power
    assert "ZeroDivisionError" in power
    twice = failure_section(result, "test_state[Value-backward-twice]")
    assert "keeps state across backward calls: backward twice" in twice
    assert "expression: (a + b)*d" in twice
    reuse = failure_section(result, "test_state[Value-reuse-after-backward]")
    assert "keeps state across backward calls: reuse after backward" in reuse


def test_micrograd_division_overflows(pytester: pytest.Pytester) -> None:
    """micrograd divides as x * y**-1, so backward raises OverflowError for a
    tiny divisor (y**-2 overflows) although the true gradient is finite."""
    result = pytester.runpytest("-rA", "--oracle-engine", "micrograd.engine:Value", "--oracle-ops", "div",
                                "--oracle-max-examples", "30")

    assert outcomes_by_name(result)["test_gradients[Value-div]"] == "FAILED"
    division = failure_section(result, "test_gradients[Value-div]")
    assert "crash" in division
    assert "OverflowError" in division


#: The doubles the plugin cannot catch: RecursiveTopology fails only on graphs
#: thousands of levels deep, and the plugin draws at most --oracle-max-nodes nodes.
BEYOND_PLUGIN = {"RecursiveTopology"}
SWEPT_DOUBLES = sorted(set(DOUBLES) - BEYOND_PLUGIN)


def _double_ops(cls: type) -> set[str]:
    expression, _ = cls.witness
    return set(cls.faulty_ops) | set(parse_expression(expression).ops_used())


@pytest.fixture(scope="module")
def doubles_run(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Run every broken double in one child session and return its output.

    Each double's run is narrowed with -k to the families of its faulty ops
    and its witness, plus mixed graphs and the state tests.
    """
    ops = set().union(*(_double_ops(DOUBLES[name]) for name in SWEPT_DOUBLES))
    selected = []
    for name in SWEPT_DOUBLES:
        selected += [f"{name}-{op}" for op in sorted(_double_ops(DOUBLES[name]))]
        selected += [f"{name}-mixed", f"{name}-backward-twice", f"{name}-reuse-after-backward"]
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", "--oracle-ops", ",".join(sorted(ops)),
               "--oracle-max-examples", "200", "-k", " or ".join(selected)]
    for name in SWEPT_DOUBLES:
        command += ["--oracle-engine", f"tests.doubles:{name}"]
    directory = tmp_path_factory.mktemp("doubles")
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    completed = subprocess.run(command, cwd=directory, env=environment, capture_output=True, text=True, timeout=600)
    return completed.stdout


@pytest.mark.parametrize("name", SWEPT_DOUBLES)
def test_broken_double_fails_with_reproducer(doubles_run: str, name: str) -> None:
    cls = DOUBLES[name]
    outcomes = outcomes_in(doubles_run.splitlines())
    mine = {test: outcome for test, outcome in outcomes.items() if f"[{name}-" in test}
    assert mine, f"no generated test of {name} ran"
    failed = {test for test, outcome in mine.items() if outcome == "FAILED"}
    assert failed, f"{name} ({cls.fault}) passed every generated test"
    if cls.detected_by == "state":
        assert any(test.startswith("test_state[") for test in failed)
        return
    gradients = sorted(test for test in failed if test.startswith("test_gradients["))
    assert gradients, f"{name} failed only state tests: {failed}"
    section = section_in(doubles_run, gradients[0])
    assert "diverges from the truth" in section
    assert re.search(r"expression: \S", section)
    assert re.search(r"^E\s+truth\s+engine", section, re.MULTILINE)
    assert "reproduce with this script:" in section


# --- pytest-xdist and Hypothesis's database ----------------------------------------


def test_xdist_gives_serial_verdicts(pytester: pytest.Pytester, child_env: None) -> None:
    arguments = ["-rA", "-p", "no:cacheprovider", "--oracle-engine", "tests.doubles:TanhNotSquared",
                 "--oracle-engine", "engines.reference:Value", "--oracle-ops", "tanh,mul,add",
                 "--oracle-max-examples", "30"]
    serial = pytester.runpytest_subprocess(*arguments)
    parallel = pytester.runpytest_subprocess(*arguments, "-n", "2")
    parallel.stdout.fnmatch_lines(["*2 workers*"])
    serial_outcomes = outcomes_by_name(serial)
    assert len(serial_outcomes) == 2 * 6
    assert "FAILED" in serial_outcomes.values()
    assert outcomes_by_name(parallel) == serial_outcomes


FAULTY_ENGINE = '''
from engines.reference import Value


class LargeProductValue(Value):
    """mul passes a wrong gradient to its left operand when the right one is above 100."""

    def __mul__(self, other):
        out = super().__mul__(other)
        if isinstance(other, Value) and other.data > 100:
            out._local = (out._local[0] + 1.0, out._local[1])
        return out
'''


def test_failure_replays_first_on_next_run(pytester: pytest.Pytester, child_env: None) -> None:
    pytester.makepyfile(faulty_engine=FAULTY_ENGINE)
    arguments = ["-p", "no:cacheprovider", "--oracle-engine", "faulty_engine:LargeProductValue",
                 "--oracle-ops", "mul", "--hypothesis-show-statistics", "-k", "Value-mul"]
    first = pytester.runpytest_subprocess(*arguments)
    first.assert_outcomes(failed=1, deselected=2)
    assert "during generate phase" in first.stdout.str()
    failing = re.findall(r"expression: (.+)", first.stdout.str())
    # A different seed draws different examples, so only the database can bring the failure back at once.
    second = pytester.runpytest_subprocess(*arguments, "--oracle-seed", "7")
    second.assert_outcomes(failed=1, deselected=2)
    statistics = second.stdout.str().split("Hypothesis Statistics")[-1]
    assert "during reuse phase" in statistics
    assert "during generate phase" not in statistics
    assert re.findall(r"expression: (.+)", second.stdout.str()) == failing


# --- the gradoracle fixture --------------------------------------------------------


FIXTURE_TESTS = '''
import pytest
from micrograd.engine import Value

from oracle.testing import GradientMismatch
from tests.doubles import GoodValue, RsubSwapped


def test_expression_passes(gradoracle):
    verdict = gradoracle.check_expression(GoodValue, "2 - x", x=3.0)
    assert verdict.ok


def test_expression_fails(gradoracle):
    gradoracle.check_expression(RsubSwapped, "2 - x", x=3.0)


def test_own_graph_passes(gradoracle):
    x, y = Value(2.0), Value(-3.0)
    z = (x * y + x**2).relu() + 2 * y - x * x
    verdict = gradoracle.check_graph(z, inputs={"x": x, "y": y})
    assert verdict.truth.graph.ops_used() == {"add", "mul", "pow", "relu"}


def test_engine_on_generated_graphs(gradoracle):
    result = gradoracle.check_engine(GoodValue, ops=["tanh", "mul"], max_examples=20)
    assert result.engines[0].examples == 20
'''


def test_fixture_checks_users_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_mine=FIXTURE_TESTS)
    result = pytester.runpytest("-v")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines([
        "*test_expression_fails FAILED*",
        "E       oracle._errors.GradientMismatch: tests.doubles.broken_rules:RsubSwapped diverges from the truth: wrong-value",
        "E           expression: 2 - x",
        "E           inputs:     x = 3.0",
    ])
    # __tracebackhide__ keeps the helpers' own frames out of the report.
    assert "oracle/testing.py" not in result.stdout.str()


# --- oracle.testing, called directly ----------------------------------------------


def test_check_expression_returns_verdict() -> None:
    from oracle.testing import check_expression
    from tests.doubles import GoodValue

    verdict = check_expression(GoodValue, "2 - x", x=3.0)
    assert verdict.ok
    assert verdict.result.gradient == {"x": -1.0}


def test_check_expression_names_missing_input() -> None:
    from oracle._errors import InvalidArgument
    from oracle.testing import check_expression
    from tests.doubles import GoodValue

    with pytest.raises(InvalidArgument, match=r"needs a value for y; pass e.g. y=1.0"):
        check_expression(GoodValue, "x*y", x=3.0)


def test_check_graph_rebuilds_micrograd_graph() -> None:
    from micrograd.engine import Value

    from oracle.testing import check_graph

    x, y = Value(2.0), Value(-3.0)
    z = (x * y + x**2).relu() - 2 / y + x * x
    verdict = check_graph(z, inputs={"x": x, "y": y})
    assert verdict.ok
    assert verdict.truth.graph.ops_used() == {"add", "mul", "pow", "relu"}
    # The user's objects are left untouched.
    assert x.grad == 0
    assert y.grad == 0


def test_check_graph_reports_wrong_rule() -> None:
    from micrograd.engine import Value

    from oracle.testing import GradientMismatch, check_graph

    class WrongMul(Value):
        """micrograd with d(a*b)/db = b instead of a."""

        def __mul__(self, other):
            other = other if isinstance(other, Value) else WrongMul(other)
            out = WrongMul(self.data * other.data, (self, other), "*")

            def _backward():
                self.grad += other.data * out.grad
                other.grad += other.data * out.grad

            out._backward = _backward
            return out

    x, y = WrongMul(2.0), WrongMul(3.0)
    # The children of a micrograd node are a set, so the walk may list y first.
    with pytest.raises(GradientMismatch, match=r"(?s)expression: (x\*y|y\*x).*first wrong op: backward rule of mul"):
        check_graph(x * y, inputs={"x": x, "y": y})


def test_check_graph_needs_op_labels() -> None:
    from oracle._errors import InvalidArgument
    from oracle.testing import check_graph
    from tests.doubles import GoodValue

    x = GoodValue(0.5)
    with pytest.raises(InvalidArgument, match=r"GoodValue objects have none of the attributes _op, op"):
        check_graph(x.tanh(), inputs={"x": x})


def test_check_graph_rejects_unknown_label() -> None:
    from micrograd.engine import Value

    from oracle._errors import InvalidArgument
    from oracle.testing import check_graph

    x = Value(2.0)
    out = Value(7.0, (x,), "sinh")
    with pytest.raises(InvalidArgument, match=r"op label 'sinh' of Value\(data=7.0, grad=0\) is not supported"):
        check_graph(out, inputs={"x": x})


def test_check_graph_rejects_objects_without_children() -> None:
    from oracle._errors import InvalidArgument
    from oracle.testing import check_graph

    class Bare:
        def __init__(self, data: float) -> None:
            self.data = data

    with pytest.raises(InvalidArgument, match=r"Bare objects have none of the attributes _prev"):
        check_graph(Bare(1.0), inputs={"x": Bare(2.0)})


def test_check_engine_raises_for_broken_double() -> None:
    from oracle.testing import GradientMismatch, check_engine
    from tests.doubles import SinNegated

    with pytest.raises(GradientMismatch, match=r"(?s)diverges from the truth.*expression: .*sin"):
        check_engine(SinNegated, ops=["sin"], max_examples=30, state_checks=False)


# --- the tutorial ----------------------------------------------------------------------


TUTORIAL = ROOT / "docs" / "tutorial.md"


def fenced_blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", TUTORIAL.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL)


def console_commands() -> list[tuple[str, list[str]]]:
    """Return each ``$ command`` of the tutorial's console blocks with the output lines shown after it."""
    commands: list[tuple[str, list[str]]] = []
    for block in fenced_blocks("console"):
        for line in block.splitlines():
            if line.startswith("$ "):
                commands.append((line[2:], []))
            else:
                commands[-1][1].append(line)
    return commands


def _without_timing(line: str) -> str:
    return re.sub(r" in [\d.]+s( \([\d:]+\))?", "", line).rstrip()


@pytest.mark.parametrize("command, shown", console_commands(), ids=[command for command, _ in console_commands()])
def test_tutorial_command_output(command: str, shown: list[str]) -> None:
    environment = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
                   "COLUMNS": "80"}
    completed = subprocess.run(command, shell=True, cwd=ROOT, env=environment, capture_output=True, text=True,
                               timeout=300)
    actual = [_without_timing(line) for line in completed.stdout.splitlines()]
    position = 0
    for expected in shown:
        if expected == "...":
            continue
        expected = expected.rstrip()
        assert expected in actual[position:], f"{command!r} did not print {expected!r} after line {position}"
        position = actual.index(expected, position) + 1


def test_tutorial_fixture_example_passes(pytester: pytest.Pytester) -> None:
    (example,) = fenced_blocks("python")
    pytester.makepyfile(test_tutorial_example=example)
    result = pytester.runpytest("-q")
    result.assert_outcomes(passed=3)
