"""JUnit XML for a gate run, a report format that most CI systems read.

One ``<testsuite>`` per phase.  "corpus replay" has one ``<testcase>`` per
vector; "fuzzing" has one per distinct divergence signature.  A new
divergence is a ``<failure>`` whose text is the reproducer, a known one is
``<skipped>`` with the baseline's reason, and a vector the engine cannot run
(an unsupported op) is ``<skipped>`` too.  Baseline entries that nothing
matched are listed in the fuzzing suite's ``<system-out>``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Optional

from ._gate import GateFinding, GateResult, reproducer_text

__all__ = ["junit_xml", "write_junit"]

#: Characters XML 1.0 does not allow, even escaped; a child's stderr tail may contain them.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _failure_message(finding: GateFinding) -> str:
    verdict = finding.verdict
    first = verdict.divergences[0] if verdict.divergences else None
    detail = "" if first is None else f" on {first.target}: {first.message}"
    return f"{verdict.kind}{detail} ({finding.signature.key})"


def _failure_text(finding: GateFinding, engine_spec: str) -> str:
    verdict = finding.verdict
    lines = [f"expression: {verdict.truth.graph.expression()[:300]}",
             "inputs: " + ", ".join(f"{name}={value!r}" for name, value in verdict.truth.point.items())]
    for divergence in verdict.divergences:
        lines.append(f"{divergence.kind} on {divergence.target}: engine {divergence.engine_value!r}, "
                     f"truth {divergence.truth}, tolerance {divergence.tolerance!r}: {divergence.message}")
    if verdict.result.failure is not None:
        lines.append(f"raised: {verdict.result.failure}")
    if verdict.blame is not None:
        labels = [verdict.truth.graph.node_label(index) for index in range(len(verdict.truth.graph.nodes))]
        lines.append(f"first wrong op: {verdict.blame.describe(labels)}")
    lines += ["", "reproduce:", reproducer_text(finding, engine_spec)]
    if finding.snippet:
        lines += ["", "python:", finding.snippet.rstrip()]
    return "\n".join(lines)


def _mark(case: ElementTree.Element, finding: Optional[GateFinding], status: str, message: Optional[str],
          engine_spec: str) -> None:
    if status == "new" and finding is not None:
        failure = ElementTree.SubElement(case, "failure", message=_clean(_failure_message(finding)),
                                         type=finding.verdict.kind)
        failure.text = _clean(_failure_text(finding, engine_spec))
    elif status == "known" and finding is not None:
        ElementTree.SubElement(case, "skipped", message=_clean(f"known divergence {finding.signature.key}: {message}"))
    elif status == "skipped":
        ElementTree.SubElement(case, "skipped", message=message or "not run")


def _suite(root: ElementTree.Element, name: str, seconds: float) -> ElementTree.Element:
    return ElementTree.SubElement(root, "testsuite", name=name, time=f"{seconds:.3f}")


def _count(suite: ElementTree.Element) -> tuple[int, int, int]:
    cases = suite.findall("testcase")
    failures = sum(1 for case in cases if case.find("failure") is not None)
    skipped = sum(1 for case in cases if case.find("skipped") is not None)
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    return len(cases), failures, skipped


def junit_xml(result: GateResult, engine_spec: Optional[str] = None) -> str:
    """Render ``result`` as a JUnit XML document (UTF-8 text with an XML declaration)."""
    spec = engine_spec or result.engine
    root = ElementTree.Element("testsuites", name=f"gradoracle gate: {spec}")

    corpus = _suite(root, "corpus replay", result.corpus_seconds)
    for outcome in result.vectors:
        case = ElementTree.SubElement(corpus, "testcase", classname="gradoracle.corpus",
                                      name=f"{outcome.vector.id}: {outcome.vector.document.get('expression', '')[:120]}",
                                      time=f"{outcome.seconds:.3f}")
        _mark(case, outcome.finding, outcome.status, outcome.message, spec)

    campaign = result.campaign
    fuzzing = _suite(root, "fuzzing", 0.0 if campaign is None else campaign.seconds)
    properties = ElementTree.SubElement(fuzzing, "properties")
    examples = 0 if campaign is None else sum(summary.examples for summary in campaign.engines)
    for key, value in (("seed", result.seed), ("time_budget", result.time_budget), ("examples", examples)):
        ElementTree.SubElement(properties, "property", name=key, value=str(value))
    for finding in result.fuzz_findings:
        case = ElementTree.SubElement(fuzzing, "testcase", classname="gradoracle.fuzzing",
                                      name=finding.signature.key, time="0.000")
        _mark(case, finding, finding.status, finding.reason, spec)
    summary = [f"{examples} examples drawn" if campaign is not None else "fuzzing skipped (time budget 0)"]
    summary += [f"fixed since the baseline: {entry.signature}: {entry.reason}" for entry in result.fixed]
    ElementTree.SubElement(fuzzing, "system-out").text = _clean("\n".join(summary))

    totals = [_count(suite) for suite in (corpus, fuzzing)]
    root.set("tests", str(sum(total[0] for total in totals)))
    root.set("failures", str(sum(total[1] for total in totals)))
    root.set("errors", "0")
    root.set("skipped", str(sum(total[2] for total in totals)))
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(path: Path, result: GateResult, engine_spec: Optional[str] = None) -> None:
    """Write ``junit_xml(result)`` to ``path``, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(junit_xml(result, engine_spec), encoding="utf-8")
