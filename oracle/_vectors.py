"""Conformance vectors: graphs, exact inputs and the truth, as JSON files any language can replay.

A corpus is a folder of ``gradoracle.vector/1`` files plus ``index.json``.
Each vector carries the graph, the exact inputs (decimal and hex), and the
true value and gradient to 34 significant digits.  For float64 and float32 it
also gives the rule an engine's numbers must meet: a tolerance around the
truth, an admissible range at kinks, or no comparison where no float engine
can pin the number down.  ``compare_with_vector`` implements that rule as
``vectors/README.md`` states it, so a port can replay the corpus without
Python and reach the same verdicts as the oracle.

The corpus is built from the hand-written table ``HAND_VECTORS`` (every op,
reflected forms, shared nodes, special points, one witness per known fault
class) and a seeded draw from ``strategies.examples``.  The same code, the
same Hypothesis version and the same seed give byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from mpmath import nstr

from ._errors import InvalidArgument
from ._graph import Graph, point_from_json, point_to_json
from ._parse import parse_expression
from ._truth import Truth, compute_truth
from ._vector_table import HAND_VECTORS, HandVector
from ._verdict import judge

if TYPE_CHECKING:
    from engines._result import EngineResult

__all__ = [
    "VECTOR_FORMAT",
    "INDEX_FORMAT",
    "CORPUS_VERSION",
    "HandVector",
    "HAND_VECTORS",
    "Vector",
    "Corpus",
    "build_vector",
    "build_corpus",
    "export_corpus",
    "read_corpus",
    "compare_with_vector",
    "default_corpus_dir",
]

VECTOR_FORMAT = "gradoracle.vector/1"
INDEX_FORMAT = "gradoracle.vector-index/1"
#: Bumped whenever the table, the draw or the file layout changes what a corpus contains.
CORPUS_VERSION = 1
#: Significant digits of every high-precision number in a vector.
DIGITS = 34
#: Seed and size of the drawn part of the corpus.
DRAW_SEED = 20240611
DRAW_COUNT = 48
DRAW_MAX_NODES = 6
#: Relative distance from the function's derivative that the oracle accepts
#: where the chain rule itself is not finite (see ``_verdict``).
DERIVATIVE_MATCH = 1e-6
DTYPES = ("float64", "float32")


# --- building vectors -----------------------------------------------------------


def _text(value: Any) -> Optional[str]:
    """Format a high-precision number as decimal text, with infinities as "inf" and "-inf"."""
    if value is None:
        return None
    text = str(nstr(value, DIGITS))
    return text.lstrip("+") if text in ("+inf", "-inf") else text


def _number(value: Optional[float]) -> Any:
    if value is None:
        return None
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def _tolerance(radius: Any) -> Any:
    """Convert a ball radius to a float rounded up, or to "inf"."""
    converted = float(radius)
    if math.isinf(converted):
        return "inf"
    if converted < radius:
        converted = math.nextafter(converted, math.inf)
    return converted


def _reference_inside(ball: Any, value: Optional[float]) -> bool:
    return value is not None and ball.contains(value)


def _gradient_rule(truth: Truth, name: str, ball: Any, reference: "EngineResult") -> dict[str, Any]:
    """The rule one gradient entry must meet; mirrors ``_verdict._judge_gradient``."""
    entry = truth.gradient[name]
    lo, hi = entry.admissible
    null_ok = bool(entry.value == 0 and not entry.at_kink)
    if not entry.defined:
        return {"check": "none", "reason": "the derivative does not exist over the reals here"}
    if not entry.finite:
        return {
            "check": "non-finite",
            "chain_rule": _text(entry.value),
            "derivative": _text(entry.finite_difference),
            "null_ok": null_ok,
        }
    if not _reference_inside(ball, reference.gradient.get(name)):
        return {
            "check": "none",
            "reason": "float64-inherent: the float64 reference engine is outside the tolerance too",
            "truth": _text(entry.value),
        }
    if entry.at_kink:
        return {"check": "range", "lo": _text(lo), "hi": _text(hi),
                "tolerance": _tolerance(max(ball.radius - (hi - lo) / 2, 0)), "null_ok": null_ok}
    return {"check": "within", "truth": _text(entry.value), "tolerance": _tolerance(ball.radius), "null_ok": null_ok}


def _expectation(truth: Truth, reference: "EngineResult", dtype: str) -> dict[str, Any]:
    """What an engine computing in ``dtype`` must return on this vector."""
    from engines._result import EngineResult, Failure

    if truth.status in ("domain", "beyond", "overflow"):
        reason = {
            "domain": "outside an op's domain: nothing is compared",
            "beyond": "an intermediate value is beyond every float range: nothing is compared",
            "overflow": "the true value is beyond float64's range: nothing is compared",
        }[truth.status]
        return {
            "may_raise": True,
            "value": {"check": "none", "reason": reason},
            "gradient": {name: {"check": "none", "reason": reason} for name in truth.graph.inputs},
        }
    raised = EngineResult(None, failure=Failure("forward", "Error", "a probe of the rule"))
    may_raise = judge(truth, raised, engine="probe", dtype=dtype, reference=reference).ok
    attainable = truth.attainable(dtype)
    ball = attainable.value
    if _reference_inside(ball, reference.value):
        value_rule: dict[str, Any] = {"check": "within", "truth": _text(truth.value), "tolerance": _tolerance(ball.radius)}
    else:
        value_rule = {"check": "none", "truth": _text(truth.value),
                      "reason": "float64-inherent: the float64 reference engine is outside the tolerance too"}
    gradient = {name: _gradient_rule(truth, name, attainable.gradient[name], reference) for name in truth.graph.inputs}
    return {"may_raise": may_raise, "value": value_rule, "gradient": gradient}


def _truth_record(truth: Truth) -> dict[str, Any]:
    record: dict[str, Any] = {"status": truth.status, "value": _text(truth.value)}
    if truth.domain_reason is not None:
        record["domain"] = {"node": truth.domain_node, "reason": truth.domain_reason}
    gradient = {}
    for name, entry in truth.gradient.items():
        lo, hi = entry.admissible
        gradient[name] = {
            "value": _text(entry.value) if entry.defined else None,
            "admissible": [_text(lo), _text(hi)] if entry.defined else None,
            "defined": entry.defined,
            "finite_difference": _text(entry.finite_difference),
            "confirmed": entry.confirmed,
        }
    record["gradient"] = gradient
    return record


def classify(truth: Truth, reference: "EngineResult") -> str:
    """Name the kind of point: the first of domain, beyond, overflow, float64-inherent,
    ad-inherent, domain-edge, undefined, kink, else smooth."""
    if truth.status != "ok":
        return truth.status
    verdict = judge(truth, reference, engine="reference", reference=reference)
    for kind in ("float64-inherent", "ad-inherent"):
        if kind in verdict.kinds:
            return kind
    entries = list(truth.gradient.values())
    if any(entry.defined and not entry.finite for entry in entries):
        return "domain-edge"
    if any(not entry.defined for entry in entries):
        return "undefined"
    if truth.kinks:
        return "kink"
    return "smooth"


def build_vector(id: str, graph: Graph, point: dict[str, float], *, tags: tuple[str, ...] = (),
                 catches: tuple[str, ...] = (), note: str = "", expected_kind: Optional[str] = None) -> dict[str, Any]:
    """Compute the truth and the rules for one vector and return its JSON document.

    Raises ``InvalidArgument`` when ``expected_kind`` is given and the oracle
    classifies the point differently, so a table row cannot silently test
    something other than what it claims.
    """
    from engines import ReferenceEngine

    truth = compute_truth(graph, point)
    reference = ReferenceEngine().run(graph, point)
    kind = classify(truth, reference)
    if expected_kind is not None and kind != expected_kind:
        raise InvalidArgument(f"vector {id!r}: the oracle classifies {graph.expression()!r} as {kind!r}, "
                              f"not {expected_kind!r}; fix the table row")
    document: dict[str, Any] = {
        "format": VECTOR_FORMAT,
        "id": id,
        "kind": kind,
        "tags": list(tags),
        "catches": list(catches),
        "note": note,
        "expression": graph.expression(),
        "graph": graph.to_json(),
        "inputs": point_to_json({name: point[name] for name in graph.inputs}),
        "truth": _truth_record(truth),
        "expect": {dtype: _expectation(truth, reference, dtype) for dtype in DTYPES},
        "reference": {
            "value": _number(reference.value),
            "gradient": {name: _number(value) for name, value in reference.gradient.items()},
        },
    }
    return document


def drawn_examples(count: int = DRAW_COUNT, seed: int = DRAW_SEED) -> list[tuple[Graph, dict[str, float]]]:
    """Draw ``count`` distinct examples from ``strategies.examples`` with a fixed seed.

    NOTE: the draw depends on the Hypothesis version and on the strategy's
    code, so either changing can change this part of the corpus.
    """
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    from strategies import examples

    found: list[tuple[Graph, dict[str, float]]] = []
    if count <= 0:
        return found
    seen: set[str] = set()

    class _Enough(Exception):
        """Stops the draw once ``count`` distinct examples are collected."""

    @hypothesis_seed(seed)
    @settings(max_examples=count * 4, database=None, deadline=None, phases=(Phase.generate,),
              suppress_health_check=list(HealthCheck), print_blob=False, report_multiple_bugs=False)
    @given(examples(max_nodes=DRAW_MAX_NODES))
    def collect(example: tuple[Graph, dict[str, float]]) -> None:
        graph, point = example
        key = json.dumps([graph.to_json(), point_to_json(point)], sort_keys=True)
        if key not in seen and len(found) < count:
            seen.add(key)
            found.append((graph, dict(point)))
        if len(found) >= count:
            raise _Enough()

    try:
        collect()
    except _Enough:
        pass
    return found


def build_corpus(draw_count: Optional[int] = None, seed: int = DRAW_SEED) -> list[dict[str, Any]]:
    """Return every vector document: the hand-written table, then ``draw_count`` drawn ones (default ``DRAW_COUNT``)."""
    if draw_count is None:
        draw_count = DRAW_COUNT
    documents = []
    for row in HAND_VECTORS:
        graph = parse_expression(row.expression)
        documents.append(build_vector(row.id, graph, row.point, tags=row.tags, catches=row.catches,
                                      note=row.note, expected_kind=row.kind))
    for number, (graph, point) in enumerate(drawn_examples(draw_count, seed)):
        documents.append(build_vector(f"drawn-{number:03d}", graph, point, tags=("drawn",)))
    return documents


def _render(value: Any, level: int = 0) -> str:
    """JSON text indented by two spaces, with every object or list that fits in 100 columns on one line."""
    compact = json.dumps(value)
    if not isinstance(value, (dict, list)) or not value or len(compact) + 2 * level <= 100:
        return compact
    pad = "  " * (level + 1)
    if isinstance(value, dict):
        items = [f"{pad}{json.dumps(key)}: {_render(item, level + 1)}" for key, item in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * level + "}"
    items = [pad + _render(item, level + 1) for item in value]
    return "[\n" + ",\n".join(items) + "\n" + "  " * level + "]"


def _file_name(number: int, id: str) -> str:
    return f"{number:03d}-{id}.json"


def export_corpus(directory: Path, documents: Optional[list[dict[str, Any]]] = None) -> dict[str, Any]:
    """Write the corpus to ``directory`` and return its index.

    Existing ``*.json`` files in the folder are replaced, other files (such
    as a README) are kept.
    """
    from collections import Counter

    import hypothesis

    if documents is None:
        documents = build_corpus()
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.json"):
        old.unlink()
    digest = hashlib.sha256()
    files = []
    for number, document in enumerate(documents):
        name = _file_name(number, document["id"])
        text = _render(document) + "\n"
        (directory / name).write_text(text, encoding="utf-8")
        digest.update(text.encode("utf-8"))
        files.append({"file": name, "id": document["id"], "kind": document["kind"],
                      "expression": document["expression"] if len(document["expression"]) <= 200 else None})
    ops = Counter(op for document in documents for op in {node["op"] for node in document["graph"]["nodes"]})
    index = {
        "format": INDEX_FORMAT,
        "vector_format": VECTOR_FORMAT,
        "corpus_version": CORPUS_VERSION,
        "digest": "sha256:" + digest.hexdigest(),
        "draw": {"seed": DRAW_SEED, "count": sum("drawn" in d["tags"] for d in documents),
                 "max_nodes": DRAW_MAX_NODES, "hypothesis": hypothesis.__version__},
        "counts": {
            "vectors": len(documents),
            "hand_written": sum("drawn" not in d["tags"] for d in documents),
            "by_kind": dict(sorted(Counter(d["kind"] for d in documents).items())),
            "by_op": dict(sorted(ops.items())),
            "by_tag": dict(sorted(Counter(tag for d in documents for tag in d["tags"]).items())),
        },
        "files": files,
    }
    (directory / "index.json").write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
    return index


# --- reading and replaying ------------------------------------------------------


@dataclass
class Vector:
    """One vector read from a corpus."""

    id: str
    path: Path
    graph: Graph
    point: dict[str, float]
    document: dict[str, Any]

    @property
    def state(self) -> bool:
        """True when the vector is meant for the backward-twice and reuse checks."""
        return "state" in self.document.get("tags", [])


@dataclass
class Corpus:
    directory: Path
    index: dict[str, Any]
    vectors: list[Vector] = field(default_factory=list)

    @property
    def version(self) -> Any:
        return self.index.get("corpus_version")


def default_corpus_dir() -> Path:
    """Return the ``vectors/`` folder next to the ``oracle`` package, as laid out in a source checkout."""
    return Path(__file__).resolve().parent.parent / "vectors"


def read_corpus(directory: Path) -> Corpus:
    """Read ``index.json`` and every vector it lists; errors are one line naming the file."""
    index_path = directory / "index.json"
    if not index_path.is_file():
        raise InvalidArgument(f"corpus={str(directory)!r} has no index.json; give a folder written by "
                              f"'gradoracle vectors export'")
    index = _load_json(index_path)
    if not isinstance(index, dict) or index.get("format") != INDEX_FORMAT:
        raise InvalidArgument(f"corpus index={str(index_path)!r} is not a {INDEX_FORMAT} document")
    corpus = Corpus(directory, index)
    for entry in index.get("files", []):
        path = directory / str(entry.get("file"))
        if not path.is_file():
            raise InvalidArgument(f"corpus index lists file={str(path)!r}, which does not exist; export the corpus again")
        document = _load_json(path)
        if not isinstance(document, dict) or document.get("format") != VECTOR_FORMAT:
            raise InvalidArgument(f"vector file={str(path)!r} is not a {VECTOR_FORMAT} document")
        try:
            graph = Graph.from_json(document["graph"])
            point = point_from_json(document["inputs"])
        except KeyError as error:
            raise InvalidArgument(f"vector file={str(path)!r} is missing the field {error}") from None
        except InvalidArgument as error:
            raise InvalidArgument(f"vector file={str(path)!r}: {error}") from None
        corpus.vectors.append(Vector(str(document.get("id", path.stem)), path, graph, point, document))
    if not corpus.vectors:
        raise InvalidArgument(f"corpus={str(directory)!r} lists no vectors; export the corpus again")
    return corpus


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidArgument(f"file={str(path)!r} is not readable JSON: {error}") from None


def _apply_rule(rule: dict[str, Any], engine_value: Optional[float], label: str) -> Optional[str]:
    """Return why ``engine_value`` breaks ``rule``, or None when it passes."""
    check = rule["check"]
    if check == "none":
        return None
    if engine_value is None:
        return None if rule.get("null_ok") else f"{label}: the engine returned no number"
    if check == "non-finite":
        if not math.isfinite(engine_value):
            return None
        derivative = rule.get("derivative")
        if derivative is not None:
            target = float(derivative)
            if abs(engine_value - target) <= DERIVATIVE_MATCH * abs(target):
                return None
        return f"{label}: {engine_value!r} is neither non-finite nor the derivative {derivative}"
    tolerance = float(rule["tolerance"])
    if math.isinf(tolerance):
        return None  # no float engine can pin this number down, not even its finiteness
    if math.isnan(engine_value):
        return f"{label}: the engine returned nan"
    if check == "within":
        truth = float(rule["truth"])
        if abs(engine_value - truth) <= tolerance:
            return None
        return f"{label}: {engine_value!r} differs from the truth {rule['truth']} by more than {rule['tolerance']}"
    if check == "range":
        lo, hi = float(rule["lo"]), float(rule["hi"])
        if lo - tolerance <= engine_value <= hi + tolerance:
            return None
        return f"{label}: {engine_value!r} is outside [{rule['lo']}, {rule['hi']}] widened by {rule['tolerance']}"
    raise InvalidArgument(f"rule check={check!r} in {label} is unknown; expected within, range, non-finite or none")


def compare_with_vector(document: dict[str, Any], result: "EngineResult", dtype: str = "float64") -> list[str]:
    """Apply the corpus README's comparison rule to one engine result; return the failures.

    This is the rule a port implements in its own language.  It compares in
    float64, so it can differ from the oracle's exact comparison only for a
    number within a few units in the last place of the tolerance's edge.
    """
    status = document["truth"]["status"]
    if status in ("domain", "beyond"):
        return []
    expect = document["expect"][dtype]
    failure = result.failure
    if failure is not None:
        if failure.phase in ("timeout", "protocol", "state") or not expect["may_raise"]:
            return [f"run: the engine failed ({failure})"]
        return []
    problems = []
    if result.value is None:
        problems.append("value: the engine returned no number")
    else:
        problem = _apply_rule(expect["value"], result.value, "value")
        if problem is not None:
            problems.append(problem)
    for name, rule in expect["gradient"].items():
        problem = _apply_rule(rule, result.gradient.get(name), f"d/d{name}")
        if problem is not None:
            problems.append(problem)
    return problems


def copy_readme(source: Path, directory: Path) -> None:
    """Copy a corpus README next to an exported corpus, unless it is the same file."""
    target = directory / "README.md"
    if source.is_file() and source.resolve() != target.resolve():
        shutil.copyfile(source, target)
