"""``gradoracle matrix``: one differential campaign over several engines."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Optional

import click

from ._cli import UsageFailure, cli, handle_errors
from ._options import DEFAULT_MAX_EXAMPLES, parse_ops

__all__ = ["matrix_command", "render_matrix_markdown"]


def render_matrix_markdown(record: dict[str, Any]) -> str:
    """Render a matrix record as Markdown: the campaign report with the coverage and convention tables after the summary."""
    from ._conventions import conventions_markdown
    from ._matrix import coverage_markdown
    from ._report import render_markdown

    text = render_markdown(record)
    extra = coverage_markdown(record)
    if record.get("conventions"):
        extra += "\n" + conventions_markdown(record["conventions"])
    marker = "## Divergences"
    if marker not in text:
        return text + "\n" + extra
    head, tail = text.split(marker, 1)
    return head + extra + "\n" + marker + tail


@cli.command("matrix")
@click.option("--engine", "engines", multiple=True, metavar="SPEC", required=True,
              help="Engine spec to compare (repeatable, at least two make a matrix): reference, "
                   "micrograd.engine:Value, torch, torch-float32, jax, jax-float32, tinygrad, autograd ...")
@click.option("--ops", default=None, metavar="LIST",
              help="Comma-separated op names to draw from; only ops every engine supports are used. Default: all.")
@click.option("--max-examples", type=int, default=DEFAULT_MAX_EXAMPLES, metavar="N", show_default=True,
              help="Examples to draw; each runs on every engine.")
@click.option("--time", "time_budget", type=float, default=None, metavar="SECONDS",
              help="Time budget in seconds for the whole campaign. Default: none.")
@click.option("--seed", type=int, default=0, metavar="N", show_default=True,
              help="Seed of the campaign; the same seed draws the same examples.")
@click.option("--max-nodes", type=int, default=8, metavar="N", show_default=True, help="Largest graph to draw, in nodes.")
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("gradoracle-reports"), metavar="DIR", show_default=True,
              help="Folder for reproducers (written as found) and report.json, report.md and report.html.")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "markdown", "html"]), default="text",
              show_default=True, help="What to print on stdout.")
@click.option("--no-conventions", is_flag=True, help="Skip the kink-convention table. Default: off.")
@click.option("--no-state-checks", is_flag=True, help="Skip the backward-twice and reuse checks. Default: off.")
@handle_errors
def matrix_command(engines: tuple[str, ...], ops: Optional[str], max_examples: int, time_budget: Optional[float],
                   seed: int, max_nodes: int, report_dir: Path, output_format: str, no_conventions: bool,
                   no_state_checks: bool) -> None:
    """Run every drawn example on all engines against one truth.

    Examples are drawn from the ops all engines support.  The report adds a
    coverage table per engine and op and, unless --no-conventions, a table of
    each engine's values at kinks.  Exit code 1 when a divergence is found.
    """
    from ._conventions import observe_conventions
    from ._html import render_html
    from ._check import resolve_engine
    from ._matrix import fuzz_matrix, matrix_record
    from ._report import render_json, render_text

    if max_examples < 1:
        raise UsageFailure(f"--max-examples={max_examples} must be at least 1")
    if time_budget is not None and time_budget <= 0:
        raise UsageFailure(f"--time={time_budget} must be a positive number of seconds")
    if max_nodes < 1:
        raise UsageFailure(f"--max-nodes={max_nodes} must be at least 1")
    op_names = parse_ops(ops)
    for spec in engines:
        resolve_engine(spec)  # a typo fails here, before the campaign starts

    def on_defect(defect: Any) -> None:
        if output_format == "text":
            click.echo(f"divergence {defect.signature.engine}: {defect.verdict.kind} in "
                       f"{defect.verdict.truth.graph.expression()}", err=True)

    result = fuzz_matrix(list(engines), ops=op_names, max_examples=max_examples, time_budget=time_budget, seed=seed,
                         report_dir=report_dir, state_checks=not no_state_checks, max_nodes=max_nodes,
                         on_defect=on_defect)
    conventions = None if no_conventions else observe_conventions(list(engines))
    record = matrix_record(result, conventions)
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "report.json").write_text(render_json(record), encoding="utf-8")
    (report_dir / "report.md").write_text(render_matrix_markdown(record), encoding="utf-8")
    (report_dir / "report.html").write_text(render_html(record), encoding="utf-8")
    renderers = {"text": render_text, "json": render_json, "markdown": render_matrix_markdown, "html": render_html}
    click.echo(renderers[output_format](record), nl=False)
    if output_format == "text":
        click.echo(f"report: {report_dir / 'report.html'}", err=True)
    sys.exit(1 if record["divergences"] else 0)
