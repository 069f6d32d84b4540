"""The gradoracle command line, through click's CliRunner."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from oracle._cli import cli
from oracle._cli import _register

_register()


@pytest.fixture
def runner():
    return CliRunner()


def test_help_short_and_long(runner):
    short = runner.invoke(cli, ["-h"])
    long = runner.invoke(cli, ["--help"])

    assert short.exit_code == 0
    assert short.output == long.output
    for command in ("fuzz", "check", "engines", "replay", "report"):
        assert command in short.output


def test_version(runner):
    result = runner.invoke(cli, ["--version"])

    assert result.exit_code == 0
    assert result.output.startswith("gradoracle, version ")


def test_check_walks_worked_example(runner):
    result = runner.invoke(cli, ["check", "e = a*b; d = e + c; L = d*f", "--at", "a=2,b=-3,c=10,f=-2"])

    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line.split() for line in result.output.splitlines() if line.strip()}
    assert lines["e"][1:4] == ["│", "mul", "│"]
    assert "-2.0" in lines["e"]
    assert "-2.0" in lines["d"]
    assert "agrees with the truth" in result.output


def test_check_json_reports_divergence(runner):
    result = runner.invoke(cli, ["check", "b = a + a; b + b", "--at", "a=1",
                                 "--engine", "tests.doubles:DuplicateChildren", "--format", "json"])

    assert result.exit_code == 1
    record = json.loads(result.stdout)[0]
    assert record["kind"] == "wrong-gradient"
    assert record["result"]["gradient"]["a"] == 8.0
    assert record["truth"]["gradient"]["a"]["value"] == "4.0"


@pytest.mark.parametrize("arguments, message", [
    (["check", "(a*b", "--at", "a=1,b=2"], "expected ')' but found 'end of input' at position 4"),
    (["check", "a*b", "--at", "a=1"], "--at is missing b"),
    (["check", "a*b", "--at", "a=1,b=two"], "--at b='two' is not a number"),
    (["check", "a*b", "--at", "a=1,b=2,c=3"], "which the expression does not use"),
    (["check", "a*b", "--at", "a=1,b=2", "--engine", "nosuchmodule:Value"], "nosuchmodule"),
    (["fuzz", "--ops", "add,tahn", "--max-examples", "5"], "did you mean 'tanh'"),
    (["fuzz", "--max-examples", "0"], "--max-examples=0 must be at least 1"),
    (["replay", "does-not-exist.json"], "does not exist"),
    (["check", "tanh(x)", "--at", "x=1", "--engine", "micrograd.engine:Value"], "does not support tanh"),
    (["fuzz", "--engine", "micrograd.engine:Value", "--ops", "tanh"], "supports none of --ops tanh"),
    (["fuzz", "--ops", "add,,mul"], "has an empty item"),
    (["fuzz", "--engine", "reference", "--report-dir", "/proc/no/such/dir"], "cannot be created"),
])
def test_bad_input_one_line_exit_2(runner, arguments, message):
    result = runner.invoke(cli, arguments)

    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1
    assert message in errors[0]


def test_fuzz_reference_agrees(runner, tmp_path):
    result = runner.invoke(cli, ["fuzz", "--engine", "reference", "--max-examples", "40",
                                 "--report-dir", str(tmp_path), "--format", "json"])

    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["schema"] == "gradoracle.report/1"
    assert record["divergences"] == []
    assert record["engines"][0]["examples"] == 40
    assert (tmp_path / "report.md").exists()


def test_fuzz_double_writes_reproducer_and_replays(runner, tmp_path):
    result = runner.invoke(cli, ["fuzz", "--engine", "tests.doubles:TanhNotSquared", "--ops", "tanh,add,mul",
                                 "--max-examples", "100", "--report-dir", str(tmp_path), "--format", "json"])

    assert result.exit_code == 1, result.output
    record = json.loads(result.stdout)
    item = record["divergences"][0]
    for field in ("engine", "kind", "expression", "graph", "inputs", "truth", "result", "reproducer"):
        assert field in item
    assert item["kind"] == "wrong-gradient"
    assert "tanh" in item["expression"]
    assert "snippet" in item
    assert "backward()" in item["snippet"]

    again = runner.invoke(cli, ["replay", item["reproducer"]])
    fixed = runner.invoke(cli, ["replay", item["reproducer"], "--engine", "tests.doubles:GoodValue"])
    assert again.exit_code == 1
    assert fixed.exit_code == 0, fixed.output
    assert "1 agree, 0 diverge" in fixed.output


def test_report_renders_saved_json(runner, tmp_path):
    runner.invoke(cli, ["fuzz", "--engine", "reference", "--max-examples", "10", "--report-dir", str(tmp_path)])

    result = runner.invoke(cli, ["report", str(tmp_path / "report.json")])

    assert result.exit_code == 0
    assert result.output.startswith("# gradoracle campaign")


def test_engines_lists_reference(runner):
    result = runner.invoke(cli, ["engines"])

    assert result.exit_code == 0
    assert result.output.startswith("reference")
    assert "usable" in result.output.splitlines()[0]


def test_engines_probe_micrograd(runner):
    result = runner.invoke(cli, ["engines", "--probe", "micrograd.engine:Value"])

    assert result.exit_code == 0, result.output
    assert "ops: add, div, mul, neg, pow, relu, sub" in result.output


def test_report_with_bad_fields_exit_2(runner, tmp_path):
    broken = tmp_path / "report.json"
    broken.write_text(json.dumps({"schema": "gradoracle.report/1", "engines": "oops"}))

    result = runner.invoke(cli, ["report", str(broken)])

    assert result.exit_code == 2
    assert "missing or mistyped field" in result.output


def test_replay_names_bad_file(runner, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"graph": {"format": "gradoracle.graph/1", "inputs": ["x"],
                                         "nodes": [{"op": "nosuchop", "args": ["x"]}]},
                               "inputs": {"x": 1.0}}))

    result = runner.invoke(cli, ["replay", str(tmp_path)])

    assert result.exit_code == 2
    assert "bad.json" in result.output
