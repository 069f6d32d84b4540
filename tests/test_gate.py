"""``gradoracle gate``: the JavaScript port, misbehaving children, baselines and the report files."""

from __future__ import annotations

import json
import shlex
import shutil
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from click.testing import CliRunner

from engines._process import ProcessEngine
from oracle import parse_expression
from oracle._cli import _register, cli
from oracle._gate import PLACEHOLDER_REASON, BaselineEntry, read_baseline, run_gate
from oracle._junit import write_junit
from oracle._vectors import build_vector, export_corpus

ROOT = Path(__file__).resolve().parent.parent
DRIVER = ROOT / "examples" / "js-port" / "driver.js"
PROCESS_DOUBLES = ROOT / "tests" / "process_doubles"
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not on PATH; the JavaScript port needs Node.js")
_register()  # adds the subcommands to ``cli``

def js_spec() -> str:
    return "process:" + shlex.join([NODE or "node", str(DRIVER)])


def gate(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["gate", *args])
    return result.exit_code, result.output


def junit(path: Path) -> ElementTree.Element:
    return ElementTree.parse(path).getroot()


def suite(root: ElementTree.Element, name: str) -> ElementTree.Element:
    return next(element for element in root.iter("testsuite") if element.get("name") == name)


def small_corpus(directory: Path, *extra: tuple[str, str, dict[str, float]]) -> Path:
    """Export a corpus of two ordinary vectors plus ``extra`` (id, expression, point) rows."""
    rows = [("mul", "x*y", {"x": 0.5, "y": 1.25}), ("shared", "t = x*y; t*t + t", {"x": 1.5, "y": -2.0}), *extra]
    export_corpus(directory, [build_vector(row_id, parse_expression(text), point) for row_id, text, point in rows])
    return directory


# --- the JavaScript port -----------------------------------------------------------


@needs_node
def test_js_port_passes(tmp_path, monkeypatch):
    monkeypatch.delenv("GRADORACLE_JS_FAULT", raising=False)
    code, output = gate("--engine", js_spec(), "--time", "5",
                        "--junit", str(tmp_path / "junit.xml"), "--markdown", str(tmp_path / "summary.md"))
    assert code == 0, output
    assert "gate: PASS: 0 new" in output
    root = junit(tmp_path / "junit.xml")
    assert root.get("failures") == "0"
    assert int(suite(root, "corpus replay").get("tests")) > 100
    assert "gradoracle gate ✅ passed" in (tmp_path / "summary.md").read_text()


@needs_node
@pytest.mark.parametrize("fault, expression", [("overwrite-grad", "x*x"), ("rsub", "2 - x")])
def test_js_port_fault_fails(fault, expression, tmp_path, monkeypatch):
    monkeypatch.setenv("GRADORACLE_JS_FAULT", fault)
    code, output = gate("--engine", js_spec(), "--time", "2",
                        "--junit", str(tmp_path / "junit.xml"), "--markdown", str(tmp_path / "summary.md"))
    assert code == 1, output
    assert "NEW" in output

    failures = list(suite(junit(tmp_path / "junit.xml"), "corpus replay").iter("failure"))
    assert failures != []
    texts = "\n".join(failure.text or "" for failure in failures)
    assert f"gradoracle check {shlex.quote(expression)} --at x=" in texts
    assert '"graph": {"format": "gradoracle.graph/1"' in texts

    summary = (tmp_path / "summary.md").read_text()
    assert "### New divergences" in summary
    assert f"Expression: `{expression}`" in summary
    assert f"gradoracle check {shlex.quote(expression)} --at x=" in summary
    assert "| quantity | engine | truth | tolerance (±) |" in summary


# --- misbehaving children ----------------------------------------------------------


@pytest.mark.parametrize("double, kind", [("exits_mid_request.py", "crash"), ("malformed_json.py", "protocol-error")])
def test_broken_child_becomes_finding(double, kind, tmp_path):
    corpus = small_corpus(tmp_path / "corpus", ("boom", "boom*y + 1", {"boom": 2.0, "y": 3.0}))
    spec = "process:" + shlex.join([sys.executable, str(PROCESS_DOUBLES / double)])
    code, output = gate("--engine", spec, "--corpus", str(corpus), "--time", "0", "--junit", str(tmp_path / "junit.xml"))
    assert code == 1, output
    root = junit(tmp_path / "junit.xml")
    failures = list(suite(root, "corpus replay").iter("failure"))
    assert [failure.get("type") for failure in failures] == [kind]
    assert suite(root, "corpus replay").get("tests") == "3"
    assert suite(root, "fuzzing").find("properties") is not None


def test_hanging_child_times_out(tmp_path):
    corpus = small_corpus(tmp_path / "corpus", ("boom", "boom*y + 1", {"boom": 2.0, "y": 3.0}))
    with ProcessEngine([sys.executable, str(PROCESS_DOUBLES / "hangs.py")], timeout=1.5) as engine:
        result = run_gate(engine, corpus_dir=corpus, time_budget=0)
        statuses = [outcome.status for outcome in result.vectors]
    assert statuses == ["pass", "pass", "new"]
    assert [finding.verdict.kind for finding in result.new] == ["timeout"]
    assert result.exit_code == 1
    write_junit(tmp_path / "junit.xml", result)
    failures = list(junit(tmp_path / "junit.xml").iter("failure"))
    assert [failure.get("type") for failure in failures] == ["timeout"]


# --- baselines ---------------------------------------------------------------------


def write_baseline(path: Path, *entries: tuple[str, str]) -> Path:
    accepted = [{"signature": signature, "reason": reason} for signature, reason in entries]
    path.write_text(json.dumps({"format": "gradoracle.baseline/1", "accepted": accepted}))
    return path


def test_known_divergence_passes(tmp_path):
    baseline = write_baseline(tmp_path / "baseline.json", ("wrong-value:sub/forward/wrong", "upstream bug, fixed in 2.0"))
    code, output = gate("--engine", "tests.doubles:RsubSwapped", "--time", "0", "--baseline", str(baseline),
                        "--junit", str(tmp_path / "junit.xml"), "--markdown", str(tmp_path / "summary.md"))
    assert code == 0, output
    assert "KNOWN  wrong-value:sub/forward/wrong" in output
    skipped = [element.get("message") for element in junit(tmp_path / "junit.xml").iter("skipped")]
    assert skipped == ["known divergence wrong-value:sub/forward/wrong: upstream bug, fixed in 2.0"]
    summary = (tmp_path / "summary.md").read_text()
    assert "### Known divergences (accepted in the baseline)" in summary
    assert "upstream bug, fixed in 2.0" in summary


def test_removed_fault_listed_fixed(tmp_path):
    baseline = write_baseline(tmp_path / "baseline.json", ("wrong-value:sub/forward/wrong", "upstream bug, fixed in 2.0"))
    code, output = gate("--engine", "tests.doubles:GoodValue", "--time", "0", "--baseline", str(baseline),
                        "--junit", str(tmp_path / "junit.xml"), "--markdown", str(tmp_path / "summary.md"))
    assert code == 0, output
    assert "FIXED  wrong-value:sub/forward/wrong" in output
    assert "gate: PASS: 0 new, 0 known, 1 fixed" in output
    assert "### Fixed (in the baseline, not seen in this run)" in (tmp_path / "summary.md").read_text()
    system_out = suite(junit(tmp_path / "junit.xml"), "fuzzing").find("system-out")
    assert "fixed since the baseline: wrong-value:sub/forward/wrong" in system_out.text


def test_other_divergence_still_new(tmp_path):
    baseline = write_baseline(tmp_path / "baseline.json", ("wrong-gradient:tanh/backward", "accepted"))
    code, output = gate("--engine", "tests.doubles:RsubSwapped", "--time", "0", "--baseline", str(baseline))
    assert code == 1, output
    assert "NEW    wrong-value:sub/forward/wrong" in output
    assert "FIXED  wrong-gradient:tanh/backward" in output


def test_update_baseline_round_trip(tmp_path):
    baseline = tmp_path / "ci" / "baseline.json"
    code, output = gate("--engine", "tests.doubles:OverwriteGrad", "--time", "0", "--baseline", str(baseline),
                        "--update-baseline")
    assert code == 0, output
    entries = read_baseline(baseline)
    assert entries != []
    assert {entry.reason for entry in entries} == {PLACEHOLDER_REASON}
    assert all(entry.example for entry in entries)

    code, output = gate("--engine", "tests.doubles:OverwriteGrad", "--time", "0", "--baseline", str(baseline))
    assert code == 0, output
    assert " 0 new" in output


def test_update_keeps_reasons(tmp_path):
    baseline = write_baseline(tmp_path / "baseline.json", ("wrong-value:sub/forward/wrong", "kept reason"))
    code, output = gate("--engine", "tests.doubles:RsubSwapped", "--time", "0", "--baseline", str(baseline),
                        "--update-baseline")
    assert code == 0, output
    assert read_baseline(baseline) == [BaselineEntry("wrong-value:sub/forward/wrong", "kept reason", "2 - x at x=0.5")]


def test_unlocalised_entry_covers_larger_op_set():
    from oracle._signature import Signature

    entry = BaselineEntry("crash:backward/RecursionError:add", "deep graphs are out of scope")
    assert entry.covers(Signature("e", "crash", "backward/RecursionError", frozenset({"add", "mul"})))
    assert not entry.covers(Signature("e", "crash", "backward/RecursionError", frozenset({"mul"})))
    assert not entry.covers(Signature("e", "crash", "backward/RecursionError", frozenset({"add"}), localised=True))


# --- errors --------------------------------------------------------------------------


@pytest.mark.parametrize("content, message", [
    ("{not json", "is not readable JSON"),
    (json.dumps({"format": "other"}), "is not a gradoracle.baseline/1 document"),
    (json.dumps({"format": "gradoracle.baseline/1", "accepted": {}}), "'accepted' must be a list"),
    (json.dumps({"format": "gradoracle.baseline/1", "accepted": [{"signature": "x:y"}]}), "needs a non-empty 'reason'"),
])
def test_malformed_baseline_exit_2(content, message, tmp_path):
    baseline = tmp_path / "baseline.json"
    baseline.write_text(content)
    code, output = gate("--engine", "reference", "--time", "0", "--baseline", str(baseline))
    assert code == 2
    assert message in output
    assert len(output.strip().splitlines()) == 1


def test_missing_baseline_exit_2(tmp_path):
    code, output = gate("--engine", "reference", "--time", "0", "--baseline", str(tmp_path / "none.json"))
    assert code == 2
    assert "not found; create it with --update-baseline" in output


def test_missing_corpus_exit_2(tmp_path):
    code, output = gate("--engine", "reference", "--corpus", str(tmp_path / "nowhere"))
    assert code == 2
    assert "not found; pass --corpus DIR" in output


def test_corpus_without_index_exit_2(tmp_path):
    code, output = gate("--engine", "reference", "--corpus", str(tmp_path))
    assert code == 2
    assert "has no index.json" in output


def test_update_needs_baseline_path():
    code, output = gate("--engine", "reference", "--time", "0", "--update-baseline")
    assert code == 2
    assert "--update-baseline needs --baseline FILE" in output


def test_unknown_engine_exit_2():
    code, output = gate("--engine", "no_such_module:Value", "--time", "0")
    assert code == 2
    assert "no_such_module" in output


def test_unsupported_ops_skipped(tmp_path):
    corpus = small_corpus(tmp_path / "corpus", ("sin", "sin(x)", {"x": 0.5}))
    result = run_gate("tests.doubles.variants:Boxed", corpus_dir=corpus, time_budget=0)
    statuses = {outcome.vector.id: outcome.status for outcome in result.vectors}
    assert statuses == {"mul": "pass", "shared": "pass", "sin": "skipped"}
    assert result.exit_code == 0
    write_junit(tmp_path / "junit.xml", result)
    skipped = [element.get("message") for element in junit(tmp_path / "junit.xml").iter("skipped")]
    assert skipped == ["the engine does not support sin"]


def test_reference_gate_with_fuzzing(tmp_path):
    code, output = gate("--engine", "reference", "--time", "2", "--seed", "3", "--junit", str(tmp_path / "junit.xml"))
    assert code == 0, output
    properties = {p.get("name"): p.get("value") for p in suite(junit(tmp_path / "junit.xml"), "fuzzing").iter("property")}
    assert properties["seed"] == "3"
    assert int(properties["examples"]) > 0
