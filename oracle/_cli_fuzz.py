"""``gradoracle fuzz``, ``replay`` and ``report``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

import click

from ._cli import UsageFailure, cli, handle_errors
from ._options import CAMPAIGN_OPTIONS, parse_ops

__all__ = ["fuzz_command", "replay_command", "report_command"]


def _campaign_options(function: Any) -> Any:
    for option in reversed(CAMPAIGN_OPTIONS):
        function = click.option(
            f"--{option.name}",
            option.dest,
            type=option.kind,
            default=option.default,
            multiple=option.multiple,
            metavar=option.metavar,
            help=_cli_help(option),
        )(function)
    return function


def _cli_help(option: Any) -> str:
    """Return the option's help for the CLI, where no --engine means every installed engine."""
    if option.name == "engine":
        return f"{option.help} Default: every installed engine that gradoracle supports."
    return option.help_with_default()


def _progress(total: int, quiet: bool):
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, disable=quiet or not console.is_terminal, transient=False,
    )
    return console, progress


@cli.command("fuzz")
@_campaign_options
@click.option("--workers", type=int, default=1, metavar="N",
              help="Worker processes; each draws its own share of the examples. Default: 1.")
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("gradoracle-reports"), metavar="DIR",
              help="Folder for reproducers (written as found) and report.json, report.md and report.html. "
                   "Default: gradoracle-reports.")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "markdown", "html"]), default="text",
              help="What to print on stdout. Default: text.")
@click.option("--no-state-checks", is_flag=True, help="Skip the backward-twice and reuse checks. Default: off.")
@handle_errors
def fuzz_command(engine: tuple[str, ...], ops: Optional[str], max_examples: int, time: Optional[float],
                 seed: int, max_nodes: int, workers: int, report_dir: Path, output_format: str,
                 no_state_checks: bool) -> None:
    """Run a fuzzing campaign against one or more engines.

    With no --engine, every installed engine that gradoracle supports is fuzzed
    (the reference engine at least).  Exit code 1 when a divergence is found.
    """
    from engines._discover import installed_engines

    from ._campaign import fuzz
    from ._html import render_html
    from ._report import campaign_record, render_json, render_markdown, render_text

    if max_examples < 1:
        raise UsageFailure(f"--max-examples={max_examples} must be at least 1")
    if time is not None and time <= 0:
        raise UsageFailure(f"--time={time} must be a positive number of seconds")
    if workers < 1:
        raise UsageFailure(f"--workers={workers} must be at least 1")
    op_names = parse_ops(ops)
    specs = list(engine) or installed_engines()
    _check_specs(specs, op_names)
    _check_writable(report_dir)
    console, progress = _progress(max_examples * len(specs), output_format != "text")
    tasks: dict[str, Any] = {}

    def on_progress(name: str, count: int) -> None:
        if name not in tasks:
            tasks[name] = progress.add_task(name, total=max_examples)
        progress.advance(tasks[name], count)

    def on_defect(defect: Any) -> None:
        progress.console.print(f"[red]divergence[/red] {defect.signature.engine}: {defect.verdict.kind} "
                               f"in {defect.verdict.truth.graph.expression()}", highlight=False, soft_wrap=True)

    with progress:
        if workers == 1:
            result = fuzz(specs, ops=op_names, max_examples=max_examples, time_budget=time, seed=seed,
                          report_dir=report_dir, state_checks=not no_state_checks, max_nodes=max_nodes,
                          on_progress=on_progress, on_defect=on_defect)
        else:
            from ._workers import fuzz_in_workers

            result = fuzz_in_workers(specs, workers, ops=op_names, max_examples=max_examples, time_budget=time,
                                     seed=seed, report_dir=report_dir, state_checks=not no_state_checks,
                                     max_nodes=max_nodes, on_progress=on_progress)
    record = campaign_record(result)
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "report.json").write_text(render_json(record), encoding="utf-8")
    (report_dir / "report.md").write_text(render_markdown(record), encoding="utf-8")
    (report_dir / "report.html").write_text(render_html(record), encoding="utf-8")
    renderers = {"text": render_text, "json": render_json, "markdown": render_markdown, "html": render_html}
    try:
        text = renderers[output_format](record)
    except (KeyError, TypeError, AttributeError, IndexError, ValueError) as error:
        raise UsageFailure(f"report file={str(path)!r} has a missing or mistyped field ({error!r}); "
                           "regenerate it with gradoracle fuzz") from None
    click.echo(text, nl=False)
    if output_format == "text":
        click.echo(f"report: {report_dir / 'report.md'}", err=True)
    if result.interrupted:
        click.echo("interrupted: the campaign stopped early; the reproducers found so far are on disk", err=True)
        sys.exit(130)
    sys.exit(1 if record["divergences"] else 0)


def _check_specs(specs: list[str], op_names: Optional[list[str]]) -> None:
    """Load every spec once up front, so that a typo or an engine with none of
    the requested ops fails before the campaign starts."""
    from ._check import resolve_engine

    for spec in specs:
        engine = resolve_engine(spec)
        if op_names is not None and not set(op_names) & set(engine.supported_ops):
            raise UsageFailure(f"engine {spec!r} supports none of --ops {','.join(op_names)}; "
                               f"it supports {','.join(sorted(engine.supported_ops))}")


def _check_writable(report_dir: Path) -> None:
    """Fail before the campaign when the report folder cannot be created."""
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageFailure(f"--report-dir={str(report_dir)!r} cannot be created ({error.strerror}); "
                           "give a writable folder") from None


@cli.command("replay")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--engine", "engine_specs", multiple=True, metavar="SPEC",
              help="Engine to replay on (repeatable). Default: the engine named in each file.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              help="Output format. Default: text.")
@handle_errors
def replay_command(path: Path, engine_specs: tuple[str, ...], output_format: str) -> None:
    """Run saved reproducers (a file or a folder of them) again.

    Exit code 0 when every engine now agrees with the truth on every file.
    """
    from ._check import check, resolve_engine
    from ._records import read_reproducers, verdict_record

    examples = read_reproducers(path)
    loaded: dict[str, Any] = {}
    outcomes = []
    failures = 0
    for file, graph, point, document in examples:
        specs = list(engine_specs) or [document.get("engine") or "reference"]
        for spec in specs:
            if spec not in loaded:
                loaded[spec] = resolve_engine(spec)
            verdict = check(loaded[spec], graph, point, state=True)
            failures += 0 if verdict.ok else 1
            outcomes.append((file, spec, verdict))
    if output_format == "json":
        click.echo(json.dumps([{"file": str(f), "engine": s, **verdict_record(v)} for f, s, v in outcomes], indent=2))
    else:
        for file, spec, verdict in outcomes:
            status = "agrees" if verdict.ok else verdict.kind
            click.echo(f"{status:<20} {spec}  {file}  {verdict.truth.graph.expression()}")
        click.echo(f"{len(outcomes) - failures} agree, {failures} diverge")
    sys.exit(1 if failures else 0)


@cli.command("report")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["markdown", "text", "json", "html"]), default="markdown",
              help="Output format. Default: markdown.")
@handle_errors
def report_command(path: Path, output_format: str) -> None:
    """Render a saved report.json again."""
    from ._html import render_html
    from ._report import REPORT_SCHEMA, render_json, render_markdown, render_text

    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise UsageFailure(f"report file={str(path)!r} is not JSON: {error}") from None
    if not isinstance(record, dict) or record.get("schema") != REPORT_SCHEMA:
        raise UsageFailure(f"report file={str(path)!r} is not a {REPORT_SCHEMA} document")
    renderers = {"text": render_text, "json": render_json, "markdown": render_markdown, "html": render_html}
    try:
        text = renderers[output_format](record)
    except (KeyError, TypeError, AttributeError, IndexError, ValueError) as error:
        raise UsageFailure(f"report file={str(path)!r} has a missing or mistyped field ({error!r}); "
                           "regenerate it with gradoracle fuzz") from None
    click.echo(text, nl=False)
