"""``gradoracle gate`` (the CI gate) and ``gradoracle vectors export``, with the gate's text and Markdown summaries."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Optional

import click

from ._cli import UsageFailure, cli, handle_errors
from ._gate import GateFinding, GateResult, reproducer_text

__all__ = ["gate_command", "vectors_group", "render_gate_markdown", "render_gate_text"]


# --- summaries -----------------------------------------------------------------------


def _counts(result: GateResult) -> dict[str, int]:
    statuses = [outcome.status for outcome in result.vectors]
    return {status: statuses.count(status) for status in ("pass", "new", "known", "skipped")}


def _examples(result: GateResult) -> int:
    return 0 if result.campaign is None else sum(summary.examples for summary in result.campaign.engines)


def _distinct(findings: list[GateFinding]) -> int:
    return len({finding.signature.key for finding in findings})


def render_gate_text(result: GateResult) -> str:
    """Return a short terminal summary: one line per phase and per new, known or fixed divergence."""
    counts = _counts(result)
    lines = [
        f"corpus replay: {len(result.vectors)} vectors: {counts['pass']} pass, {counts['new']} show a new "
        f"divergence, {counts['known']} a known one, {counts['skipped']} skipped",
    ]
    if result.campaign is None:
        lines.append("fuzzing: skipped (time budget 0)")
    else:
        lines.append(f"fuzzing: {_examples(result)} examples in {result.campaign.seconds:.1f} s, "
                     f"{len(result.fuzz_findings)} distinct divergence(s)")
    for finding in result.findings:
        where = f"vector {finding.vectors[0]}" if finding.vectors else "fuzzing"
        expression = finding.verdict.truth.graph.expression()
        lines.append(f"  {finding.status.upper():<6} {finding.signature.key}  ({where}: {expression[:80]})")
        if finding.status == "known":
            lines.append(f"         accepted because: {finding.reason}")
    for entry in result.fixed:
        lines.append(f"  FIXED  {entry.signature}  (in the baseline, not seen in this run)")
    verdict = "FAIL" if result.exit_code else "PASS"
    lines.append(f"gate: {verdict}: {_distinct(result.new)} new, {_distinct(result.known)} known, "
                 f"{len(result.fixed)} fixed divergence signature(s); a signature seen in both phases "
                 "is listed once per phase above")
    return "\n".join(lines) + "\n"


def _markdown_finding(finding: GateFinding, spec: str) -> list[str]:
    from ._records import verdict_record
    from ._report import _comparison_rows

    verdict = finding.verdict
    where = f"corpus vector(s) {', '.join(f'`{v}`' for v in finding.vectors[:5])}" if finding.vectors else "fuzzing"
    expression = verdict.truth.graph.expression()
    if len(expression) > 300:
        expression = expression[:297] + "..."
    lines = [f"### `{finding.signature.key}` ({where})", "", f"Expression: `{expression}`", ""]
    lines += ["Inputs: " + ", ".join(f"{name} = {value!r}" for name, value in verdict.truth.point.items()), ""]
    for divergence in verdict.divergences:
        lines.append(f"- **{divergence.kind}** on `{divergence.target}`: {divergence.message}")
    if verdict.result.failure is not None:
        lines.append(f"- raised: `{str(verdict.result.failure).splitlines()[0][:300]}`")
    if verdict.blame is not None:
        labels = [verdict.truth.graph.node_label(index) for index in range(len(verdict.truth.graph.nodes))]
        lines.append(f"- first wrong op: {verdict.blame.describe(labels)}")
    lines += ["", "| quantity | engine | truth | tolerance (±) |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in _comparison_rows(verdict_record(verdict))]
    lines += ["", "Reproducer:", "", "```sh", reproducer_text(finding, spec), "```"]
    if finding.snippet:
        lines += ["", "```python", finding.snippet.rstrip(), "```"]
    return lines + [""]


def render_gate_markdown(result: GateResult, engine_spec: Optional[str] = None) -> str:
    """Render ``result`` as GitHub-flavoured Markdown for a pull-request comment or ``$GITHUB_STEP_SUMMARY``."""
    spec = engine_spec or result.engine
    counts = _counts(result)
    verdict = "❌ failed" if result.exit_code else "✅ passed"

    lines = [f"## gradoracle gate {verdict}: `{spec}`", ""]
    lines += [f"**{_distinct(result.new)} new**, {_distinct(result.known)} known and {len(result.fixed)} fixed "
              "divergence signature(s); the table counts findings per phase.", ""]
    lines += ["| phase | checked | pass | new | known | skipped |", "|---|---|---|---|---|---|"]
    lines.append(f"| corpus replay (version {result.corpus.version}) | {len(result.vectors)} vectors | "
                 f"{counts['pass']} | {counts['new']} | {counts['known']} | {counts['skipped']} |")
    if result.campaign is None:
        lines.append("| fuzzing | skipped | - | - | - | - |")
    else:
        fuzz_new = sum(1 for finding in result.fuzz_findings if finding.status == "new")
        fuzz_known = len(result.fuzz_findings) - fuzz_new
        lines.append(f"| fuzzing ({result.campaign.seconds:.0f} s, seed {result.seed}) | {_examples(result)} examples | "
                     f"- | {fuzz_new} | {fuzz_known} | - |")
    lines.append("")

    if result.new:
        lines += ["### New divergences", ""]
        for finding in result.new:
            lines += _markdown_finding(finding, spec)

    if result.known:
        lines += ["### Known divergences (accepted in the baseline)", ""]
        for finding in result.known:
            lines.append(f"- `{finding.signature.key}` ({finding.phase}): {finding.reason}")
        lines.append("")

    if result.fixed:
        lines += ["### Fixed (in the baseline, not seen in this run)", ""]
        lines += [f"- `{entry.signature}`: {entry.reason}" for entry in result.fixed]
        lines += ["", "Remove them from the baseline with `--update-baseline`.", ""]
    return "\n".join(lines)


# --- commands --------------------------------------------------------------------------


@cli.command("gate")
@click.option("--engine", "engine_spec", required=True, metavar="SPEC",
              help="Engine to gate, e.g. \"process:node driver.js\" or module:Class.")
@click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path), default=None, metavar="DIR",
              help="Conformance-vector folder. Default: vectors/ beside the oracle package, as in a source checkout.")
@click.option("--time", "time_budget", type=float, default=60.0, show_default=True, metavar="SECONDS",
              help="Fuzzing time budget in seconds; 0 replays the corpus only.")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="FILE", help="JSON file of accepted divergence signatures, each with a reason.")
@click.option("--junit", "junit_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="FILE", help="Write JUnit XML here (one suite per phase).")
@click.option("--markdown", "markdown_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="FILE", help="Write a Markdown summary here (the file is replaced), e.g. \"$GITHUB_STEP_SUMMARY\".")
@click.option("--update-baseline", is_flag=True,
              help="Write every current divergence to --baseline as accepted and exit 0.")
@click.option("--seed", type=int, default=0, show_default=True, metavar="N", help="Seed of the fuzzing campaign.")
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=None, metavar="DIR",
              help="Folder for fuzzing reproducer files. Default: none are written.")
@handle_errors
def gate_command(engine_spec: str, corpus_dir: Optional[Path], time_budget: float, baseline_path: Optional[Path],
                 junit_path: Optional[Path], markdown_path: Optional[Path], update_baseline: bool, seed: int,
                 report_dir: Optional[Path]) -> None:
    """Gate an engine in CI: replay the conformance vectors, fuzz, compare with a baseline.

    Exit code 1 only when a divergence is not in the baseline; known and
    fixed divergences are listed.  Exit code 2 for a missing corpus, a
    malformed baseline or an engine that does not load.
    """
    from ._gate import baseline_from_run, read_baseline, run_gate, write_baseline
    from ._junit import write_junit
    from ._vectors import default_corpus_dir

    if time_budget < 0:
        raise UsageFailure(f"--time={time_budget} must be 0 (corpus only) or a positive number of seconds")
    if update_baseline and baseline_path is None:
        raise UsageFailure("--update-baseline needs --baseline FILE to write to")
    directory = corpus_dir if corpus_dir is not None else default_corpus_dir()
    if not directory.is_dir():
        raise UsageFailure(f"corpus folder={str(directory)!r} not found; pass --corpus DIR "
                           f"(a folder written by 'gradoracle vectors export')")
    previous = []
    if baseline_path is not None and not (update_baseline and not baseline_path.exists()):
        previous = read_baseline(baseline_path)

    result = run_gate(engine_spec, corpus_dir=directory, time_budget=time_budget, seed=seed,
                      baseline=previous, report_dir=report_dir)
    click.echo(render_gate_text(result), nl=False)
    if junit_path is not None:
        write_junit(junit_path, result, engine_spec)
    if markdown_path is not None:
        markdown_path.parent.mkdir(parents=True, exist_ok=True)
        markdown_path.write_text(render_gate_markdown(result, engine_spec), encoding="utf-8")
    if update_baseline:
        assert baseline_path is not None
        entries = baseline_from_run(result, previous)
        write_baseline(baseline_path, entries, engine_spec)
        click.echo(f"baseline: wrote {len(entries)} accepted divergence(s) to {baseline_path}")
        sys.exit(0)
    sys.exit(result.exit_code)


@cli.group("vectors")
def vectors_group() -> None:
    """Conformance vectors: graphs, exact inputs and the truth, replayable in any language."""


@vectors_group.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@handle_errors
def export_command(directory: Path) -> None:
    """Write the conformance corpus to DIRECTORY (one JSON file per vector plus index.json).

    The output is the same on every run with the same gradoracle and
    Hypothesis versions.  Existing *.json files in DIRECTORY are replaced.
    """
    from ._vectors import copy_readme, default_corpus_dir, export_corpus

    index: Any = export_corpus(directory)
    copy_readme(default_corpus_dir() / "README.md", directory)
    counts = index["counts"]
    kinds = ", ".join(f"{kind} {count}" for kind, count in counts["by_kind"].items())
    click.echo(f"wrote {counts['vectors']} vectors to {directory} (corpus version {index['corpus_version']}): {kinds}")
