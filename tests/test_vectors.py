"""Conformance vectors: the committed corpus, its export, and its power against broken engines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from engines import ReferenceEngine
from engines._result import EngineResult, Failure
from engines._value_like import ValueLikeEngine
from oracle import OP_NAMES, Const, InvalidArgument, parse_expression
from oracle._check import check
from oracle._cli import _register, cli
from oracle._truth import compute_truth
from oracle._vectors import (
    HAND_VECTORS,
    INDEX_FORMAT,
    VECTOR_FORMAT,
    _render,
    build_corpus,
    build_vector,
    compare_with_vector,
    default_corpus_dir,
    export_corpus,
    read_corpus,
)

from .doubles import CORRECT, DOUBLES
from .reference_doubles import BROKEN, CORRECT_VARIANTS, VariantEngine

CORPUS_DIR = default_corpus_dir()
_register()  # adds the subcommands to ``cli``


@pytest.fixture(scope="module")
def corpus():
    return read_corpus(CORPUS_DIR)


@pytest.fixture(scope="module")
def truths(corpus):
    """Truth and float64 reference result per vector id, shared by every engine."""
    reference = ReferenceEngine()
    return {
        vector.id: (compute_truth(vector.graph, vector.point), reference.run(vector.graph, vector.point))
        for vector in corpus.vectors
    }


def replay(engine, corpus, truths):
    """Check ``engine`` on every vector; return {id: verdict} and the vectors where the file rule disagrees."""
    verdicts, disagreements = {}, []
    dtype = getattr(engine, "dtype", "float64")
    for vector in corpus.vectors:
        truth, reference = truths[vector.id]
        verdict = check(engine, vector.graph, vector.point, truth=truth, reference=reference, state=True)
        verdicts[vector.id] = verdict
        rule_failures = compare_with_vector(vector.document, verdict.result, dtype)
        oracle_fails = any(finding.kind != "state-across-calls" for finding in verdict.divergences)
        if bool(rule_failures) != oracle_fails:
            disagreements.append((vector.id, verdict.kind, rule_failures))
    return verdicts, disagreements


def failing(verdicts):
    return sorted(vector_id for vector_id, verdict in verdicts.items() if not verdict.ok)


# --- the table -------------------------------------------------------------------


def test_table_covers_every_op():
    used = set()
    for row in HAND_VECTORS:
        used |= parse_expression(row.expression).ops_used()
    assert used == set(OP_NAMES)


def test_table_has_reflected_forms():
    reflected = set()
    for row in HAND_VECTORS:
        for node in parse_expression(row.expression).nodes:
            if node.op in ("sub", "div", "rpow", "add", "mul") and isinstance(node.args[0], Const):
                reflected.add(node.op)
    assert reflected == {"sub", "div", "rpow", "add", "mul"}


def test_table_has_shared_nodes():
    shared = []
    for row in HAND_VECTORS:
        graph = parse_expression(row.expression)
        if any(graph.uses(index) > 1 for index in range(len(graph.nodes))):
            shared.append(row.id)
    assert "shared-product" in shared
    assert "diamond-double" in shared


def test_table_ids_unique():
    ids = [row.id for row in HAND_VECTORS]
    assert len(ids) == len(set(ids))


def test_table_special_kinds_present():
    kinds = {row.kind for row in HAND_VECTORS}
    for kind in ("smooth", "kink", "domain-edge", "ad-inherent", "float64-inherent", "undefined",
                 "overflow", "beyond", "domain"):
        assert kind in kinds


def test_wrong_kind_rejected():
    with pytest.raises(InvalidArgument, match="classifies 'relu\\(x\\)' as 'kink'"):
        build_vector("bad", parse_expression("relu(x)"), {"x": 0.0}, expected_kind="smooth")


# --- the committed corpus --------------------------------------------------------


def test_index_lists_every_file(corpus):
    index = corpus.index
    files = sorted(path.name for path in CORPUS_DIR.glob("*.json") if path.name != "index.json")
    assert index["format"] == INDEX_FORMAT
    assert sorted(entry["file"] for entry in index["files"]) == files
    assert index["counts"]["vectors"] == len(files)
    assert sum(index["counts"]["by_kind"].values()) == len(files)


def test_vector_fields(corpus):
    for vector in corpus.vectors:
        document = vector.document
        assert document["format"] == VECTOR_FORMAT
        assert set(document["expect"]) == {"float64", "float32"}
        assert set(document["expect"]["float64"]["gradient"]) == set(vector.graph.inputs)
        assert document["truth"]["status"] in ("ok", "domain", "overflow", "beyond")


def test_truth_has_34_digits(corpus):
    vector = next(v for v in corpus.vectors if v.id == "tanh")
    assert vector.document["truth"]["value"].startswith("0.4621171572600097585023184836436725")


def test_committed_hand_vectors_current(corpus):
    # The hand-written part depends only on the table and the truth; re-export when this fails.
    fresh = {document["id"]: _render(document) for document in build_corpus(draw_count=0)}
    committed = {vector.id: vector.path.read_text(encoding="utf-8").rstrip("\n")
                 for vector in corpus.vectors if "drawn" not in vector.document["tags"]}
    assert committed.keys() == fresh.keys()
    stale = [vector_id for vector_id in fresh if fresh[vector_id] != committed[vector_id]]
    assert stale == []


def test_export_is_deterministic(tmp_path):
    first = export_corpus(tmp_path / "first", build_corpus(draw_count=6))
    second = export_corpus(tmp_path / "second", build_corpus(draw_count=6))
    assert first == second
    names = sorted(path.name for path in (tmp_path / "first").iterdir())
    assert names == sorted(path.name for path in (tmp_path / "second").iterdir())
    for name in names:
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes()
    assert first["draw"]["count"] == 6


def test_export_command(tmp_path, monkeypatch):
    monkeypatch.setattr("oracle._vectors.DRAW_COUNT", 3)
    result = CliRunner().invoke(cli, ["vectors", "export", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output
    corpus = read_corpus(tmp_path / "out")
    assert len(corpus.vectors) == len(HAND_VECTORS) + 3
    assert (tmp_path / "out" / "README.md").is_file()


# --- replay ----------------------------------------------------------------------


def test_reference_passes_every_vector(corpus, truths):
    verdicts, disagreements = replay(ReferenceEngine(), corpus, truths)
    assert failing(verdicts) == []
    assert disagreements == []


@pytest.mark.parametrize("name, value_class", [*CORRECT_VARIANTS.items()])
def test_correct_variants_pass(name, value_class, corpus, truths):
    verdicts, disagreements = replay(VariantEngine(value_class, name), corpus, truths)
    assert failing(verdicts) == []
    assert disagreements == []


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_doubles_pass(name, corpus, truths):
    verdicts, disagreements = replay(ValueLikeEngine(CORRECT[name]), corpus, truths)
    assert failing(verdicts) == []
    assert disagreements == []


@pytest.mark.parametrize("case", BROKEN, ids=[case.name for case in BROKEN])
def test_broken_variant_fails(case, corpus, truths):
    verdicts, disagreements = replay(VariantEngine(case.value_class, case.name), corpus, truths)
    assert failing(verdicts) != []
    assert disagreements == []


@pytest.mark.parametrize("name", sorted(DOUBLES))
def test_broken_double_fails(name, corpus, truths):
    verdicts, disagreements = replay(ValueLikeEngine(DOUBLES[name]), corpus, truths)
    assert failing(verdicts) != []
    assert disagreements == []


def test_replay_command_on_vectors():
    runner = CliRunner()
    passing = runner.invoke(cli, ["replay", str(CORPUS_DIR), "--engine", "reference"])
    assert passing.exit_code == 0, passing.output
    assert " 0 diverge" in passing.output
    rsub = next(CORPUS_DIR.glob("*-rsub.json"))
    broken = runner.invoke(cli, ["replay", str(rsub), "--engine", "tests.doubles:RsubSwapped"])
    assert broken.exit_code == 1, broken.output
    assert "wrong-value" in broken.output


# --- the comparison rule ---------------------------------------------------------


def document_for(expression, point):
    return build_vector("case", parse_expression(expression), point)


def test_rule_within_tolerance():
    document = document_for("x*y", {"x": 0.1, "y": 0.3})
    tolerance = document["expect"]["float64"]["gradient"]["x"]["tolerance"]
    assert compare_with_vector(document, EngineResult(0.1 * 0.3, {"x": 0.3, "y": 0.1})) == []
    assert compare_with_vector(document, EngineResult(0.1 * 0.3, {"x": 0.3 + 4 * tolerance, "y": 0.1})) != []


def test_rule_range_at_kink():
    document = document_for("relu(x)", {"x": 0.0})
    for slope in (0.0, 0.5, 1.0):
        assert compare_with_vector(document, EngineResult(0.0, {"x": slope})) == []
    assert compare_with_vector(document, EngineResult(0.0, {"x": 2.0})) != []
    assert compare_with_vector(document, EngineResult(0.0, {"x": float("nan")})) != []


def test_rule_non_finite_truth():
    document = document_for("sqrt(x*x)", {"x": 0.0})
    assert document["expect"]["float64"]["gradient"]["x"]["check"] == "non-finite"
    assert compare_with_vector(document, EngineResult(0.0, {"x": float("nan")})) == []
    assert compare_with_vector(document, EngineResult(0.0, {"x": 7.0})) != []


def test_rule_raise_allowed_only_where_stated():
    raised = EngineResult(None, failure=Failure("forward", "OverflowError", "math range error"))
    assert compare_with_vector(document_for("exp(x)", {"x": 800.0}), raised) == []
    assert compare_with_vector(document_for("exp(x)", {"x": 1.0}), raised) != []


def test_rule_timeout_always_fails():
    timed_out = EngineResult(None, failure=Failure("timeout", "Timeout", "no reply"))
    assert compare_with_vector(document_for("exp(x)", {"x": 800.0}), timed_out) != []


def test_rule_domain_compares_nothing():
    document = document_for("log(x)", {"x": 0.0})
    assert compare_with_vector(document, EngineResult(None, failure=Failure("timeout", "Timeout", "x"))) == []


def test_rule_null_gradient():
    document = document_for("x + y*0", {"x": 1.0, "y": 2.0})
    assert compare_with_vector(document, EngineResult(1.0, {"x": 1.0, "y": None})) == []
    assert compare_with_vector(document, EngineResult(1.0, {"x": None, "y": 0.0})) != []


# --- reading errors --------------------------------------------------------------


def test_missing_index_rejected(tmp_path):
    with pytest.raises(InvalidArgument, match="has no index.json"):
        read_corpus(tmp_path)


def test_malformed_vector_rejected(tmp_path):
    export_corpus(tmp_path, [document_for("x*y", {"x": 1.0, "y": 2.0})])
    vector_file = next(path for path in tmp_path.glob("*.json") if path.name != "index.json")
    vector_file.write_text(json.dumps({"format": VECTOR_FORMAT, "graph": {"format": "nope"}}), encoding="utf-8")
    with pytest.raises(InvalidArgument, match="graph format='nope'"):
        read_corpus(tmp_path)


def test_unknown_file_in_index_rejected(tmp_path):
    export_corpus(tmp_path, [document_for("x*y", {"x": 1.0, "y": 2.0})])
    index = json.loads((tmp_path / "index.json").read_text())
    index["files"].append({"file": "999-gone.json"})
    (tmp_path / "index.json").write_text(json.dumps(index))
    with pytest.raises(InvalidArgument, match="does not exist"):
        read_corpus(tmp_path)


def test_corpus_dir_is_repository_folder():
    assert CORPUS_DIR == Path(__file__).resolve().parent.parent / "vectors"
