"""Matrix campaigns: every example on every engine against one truth, and the matrix command."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import oracle._cli_matrix  # noqa: F401  (registers the matrix command)
from oracle._check import check_expression
from oracle._cli import cli
from oracle._errors import EngineLoadError, InvalidArgument
from oracle._matrix import coverage_markdown, fuzz_matrix, matrix_record
from oracle._parse import parse_expression
from oracle._truth import compute_truth
from oracle._verdict import judge

GOOD = "tests.doubles.good:GoodValue"
BROKEN_MUL = "tests.doubles:MulSwapped"


@pytest.fixture(scope="module")
def small_matrix():
    return fuzz_matrix(["reference", GOOD, BROKEN_MUL], ops=["add", "mul", "neg"], max_examples=30, seed=2)


def test_matrix_runs_every_example_on_every_engine(small_matrix):
    counts = {summary.spec: summary.examples for summary in small_matrix.engines}

    assert small_matrix.examples == 30
    assert counts == {"reference": 30, GOOD: 30, BROKEN_MUL: 30}


def test_matrix_coverage_same_examples_per_engine(small_matrix):
    examples = {engine: {op: cell.examples for op, cell in cells.items()}
                for engine, cells in small_matrix.coverage.items()}

    assert examples["reference"] == examples[GOOD] == examples[BROKEN_MUL]
    assert sum(examples["reference"].values()) >= 30


def test_matrix_blames_only_broken_engine(small_matrix):
    engines = {defect.signature.engine for defect in small_matrix.defects}
    diverged = {engine: sum(cell.divergences for cell in cells.values())
                for engine, cells in small_matrix.coverage.items()}

    assert engines == {BROKEN_MUL}
    assert diverged["reference"] == 0
    assert diverged[GOOD] == 0
    assert diverged[BROKEN_MUL] > 0


def test_matrix_localises_broken_rule(small_matrix):
    blamed = {defect.verdict.blame.op for defect in small_matrix.defects if defect.verdict.blame}

    assert blamed == {"mul"}


def test_matrix_shared_ops_only():
    micrograd = pytest.importorskip("micrograd.engine")
    result = fuzz_matrix(["reference", "micrograd.engine:Value"], max_examples=5, seed=1)

    assert micrograd is not None
    assert set(result.ops) <= set(result.supported["micrograd.engine:Value"])
    assert "sin" not in result.ops
    assert "sin" in result.supported["reference"]


def test_matrix_no_shared_op_rejected():
    pytest.importorskip("micrograd.engine")

    with pytest.raises(InvalidArgument, match="share no requested op"):
        fuzz_matrix(["reference", "micrograd.engine:Value"], ops=["sin"], max_examples=5)


def test_matrix_lists_engine_that_fails_to_load():
    result = fuzz_matrix(["reference", "no_such_module:Value"], ops=["add"], max_examples=3)
    errors = {summary.spec: summary.load_error for summary in result.engines}

    assert errors["reference"] is None
    assert "not found" in errors["no_such_module:Value"]
    assert result.examples == 3


def test_matrix_without_loadable_engine_rejected():
    with pytest.raises(EngineLoadError, match="no engine could be loaded: .*not found"):
        fuzz_matrix(["no_such_module:Value"], max_examples=3)


def test_matrix_record_and_markdown(small_matrix):
    record = matrix_record(small_matrix)
    text = coverage_markdown(record)

    assert record["schema"] == "gradoracle.report/1"
    assert record["matrix"]["ops"] == ["add", "mul", "neg"]
    assert record["matrix"]["coverage"][BROKEN_MUL]["mul"]["divergences"] > 0
    assert "| op | reference | " in text
    assert text.count("\n| ") == 1 + 3  # header and one row per shared op
    json.dumps(record)


def test_float32_engine_judged_by_float32():
    pytest.importorskip("torch")
    from engines._framework import SPEC_PREFIXES

    engine = SPEC_PREFIXES["torch-float32"]("")
    graph = parse_expression("tanh(x*y) + x/y")
    point = {"x": 0.3, "y": 1.7}
    truth = compute_truth(graph, point)
    result = engine.run(graph, point)

    assert check_expression(engine, "tanh(x*y) + x/y", point).ok
    assert not judge(truth, result, engine="torch-float32", dtype="float64").ok


def test_matrix_float32_engine_agrees():
    pytest.importorskip("torch")
    result = fuzz_matrix(["reference", "torch-float32"], ops=["add", "mul", "tanh", "exp"], max_examples=20,
                         seed=5, max_nodes=4)
    by_engine = {summary.spec: summary for summary in result.engines}

    assert by_engine["torch-float32"].dtype == "float32"
    assert by_engine["torch-float32"].examples == 20


def test_matrix_command_writes_three_reports(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["matrix", "--engine", "reference", "--engine", BROKEN_MUL, "--ops", "add,mul",
                                 "--max-examples", "15", "--report-dir", str(tmp_path), "--format", "json",
                                 "--no-conventions"])
    record = json.loads(result.output)

    assert result.exit_code == 1
    assert record["matrix"]["ops"] == ["add", "mul"]
    assert (tmp_path / "report.html").read_text().startswith("<!DOCTYPE html>")
    assert "## Coverage" in (tmp_path / "report.md").read_text()


def test_matrix_command_agreeing_engines_exit_zero(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["matrix", "--engine", "reference", "--engine", GOOD, "--ops", "add,mul",
                                 "--max-examples", "10", "--report-dir", str(tmp_path)])

    assert result.exit_code == 0
    assert "Conventions" in (tmp_path / "report.md").read_text()


@pytest.mark.parametrize("arguments, message", [
    (["--max-examples", "0"], "--max-examples=0"),
    (["--time", "-1"], "--time=-1"),
    (["--ops", "add,mull"], "'mull' is not an op"),
])
def test_matrix_command_usage_errors(tmp_path, arguments, message):
    runner = CliRunner()
    result = runner.invoke(cli, ["matrix", "--engine", "reference", "--report-dir", str(tmp_path), *arguments])

    assert result.exit_code == 2
    assert message in result.output


def test_matrix_command_unknown_engine(tmp_path):
    result = CliRunner().invoke(cli, ["matrix", "--engine", "reference", "--engine", "no_such_module:Value",
                                      "--report-dir", str(tmp_path)])

    assert result.exit_code == 2
    assert "no_such_module" in result.output
