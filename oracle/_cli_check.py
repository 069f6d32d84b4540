"""``gradoracle check`` (one typed expression, walked node by node) and ``engines``."""

from __future__ import annotations

import json
import math
import sys
from typing import Any, Optional

import click

from ._cli import UsageFailure, cli, handle_errors
from ._errors import InvalidArgument

__all__ = ["check_command", "engines_command", "parse_assignments"]


def parse_assignments(text: str, inputs: tuple[str, ...]) -> dict[str, float]:
    """Read ``a=2,b=-3`` into a point for ``inputs``; every input must be given once."""
    point: dict[str, float] = {}
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        name, equals, value = part.partition("=")
        name = name.strip()
        if not equals or not name:
            raise InvalidArgument(f"--at item {part!r} must look like name=value, e.g. a=2,b=-3")
        try:
            number = float.fromhex(value.strip()) if value.strip().lower().startswith(("0x", "-0x")) else float(value)
        except ValueError:
            raise InvalidArgument(f"--at {name}={value.strip()!r} is not a number") from None
        if not math.isfinite(number):
            raise InvalidArgument(f"--at {name}={value.strip()!r} must be finite")
        if name in point:
            raise InvalidArgument(f"--at gives {name!r} twice; give each input once")
        point[name] = number
    unknown = [name for name in point if name not in inputs]
    if unknown:
        raise InvalidArgument(f"--at names {', '.join(unknown)}, which the expression does not use "
                              f"(its inputs: {', '.join(inputs)})")
    missing = [name for name in inputs if name not in point]
    if missing:
        raise InvalidArgument(f"--at is missing {', '.join(missing)}; give e.g. "
                              + ",".join(f"{name}=1.0" for name in missing))
    return point


def _number(value: Optional[float]) -> str:
    return "-" if value is None else repr(value)


@cli.command("check")
@click.argument("expression")
@click.option("--at", "at", required=True, metavar="NAME=VALUE,...",
              help="The point, e.g. a=2,b=-3 (hex floats such as 0x1.8p+1 are exact).")
@click.option("--engine", "engine_specs", multiple=True, metavar="SPEC",
              help="Engine to check (repeatable). Default: reference.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              help="Output format. Default: text.")
@handle_errors
def check_command(expression: str, at: str, engine_specs: tuple[str, ...], output_format: str) -> None:
    """Check one expression at one point, with a per-node walk of values and adjoints.

    EXPRESSION uses Python syntax with named shared nodes, e.g.
    "e = a*b; d = e + c; L = d*f" or "tanh(x)**3 - 2/y".
    """
    from ._check import check, resolve_engine
    from ._parse import parse_expression
    from ._records import verdict_record
    from ._truth import compute_truth

    graph = parse_expression(expression)
    point = parse_assignments(at, graph.inputs)
    truth = compute_truth(graph, point)
    engines = [(spec, resolve_engine(spec)) for spec in engine_specs or ("reference",)]
    for spec, engine in engines:
        missing = sorted(graph.ops_used() - set(engine.supported_ops))
        if missing:
            raise UsageFailure(f"engine {spec!r} does not support {', '.join(missing)}; "
                               f"it supports {', '.join(sorted(engine.supported_ops))}")
    verdicts = [check(engine, graph, point, truth=truth) for _, engine in engines]
    if output_format == "json":
        click.echo(json.dumps([verdict_record(v) for v in verdicts], indent=2))
    else:
        _print_walk(graph, point, truth, verdicts)
    sys.exit(0 if all(v.ok for v in verdicts) else 1)


def _print_walk(graph: Any, point: dict[str, float], truth: Any, verdicts: list[Any]) -> None:
    from mpmath import nstr
    from rich.console import Console
    from rich.table import Table

    console = Console(width=160)
    console.print(f"{graph.expression()}   at {', '.join(f'{k}={v!r}' for k, v in point.items())}", highlight=False)
    if truth.status == "domain":
        console.print(f"outside the domain at node {graph.node_label(truth.domain_node)}: {truth.domain_reason}")
    table = Table(show_edge=False, pad_edge=False)
    for column in ("node", "op", "value (truth)", "adjoint (truth)"):
        table.add_column(column)
    for verdict in verdicts:
        table.add_column(f"value ({verdict.engine})")
        table.add_column(f"adjoint ({verdict.engine})")

    def adjoint_text(index: int) -> str:
        if not truth.node_adjoints:
            return "-"
        ball = truth.node_adjoints[index]
        if ball.radius:
            return f"[{nstr(ball.lo, 10)}, {nstr(ball.hi, 10)}]"
        return nstr(ball.centre, 17)

    for name in graph.inputs:
        entry = truth.gradient.get(name)
        if entry is None:
            adjoint = "-"
        elif entry.at_kink:
            adjoint = f"[{nstr(entry.admissible[0], 10)}, {nstr(entry.admissible[1], 10)}]"
        else:
            adjoint = nstr(entry.value, 17) if entry.defined else "undefined"
        row = [name, "input", repr(point[name]), adjoint]
        for verdict in verdicts:
            row += [repr(point[name]), _number(verdict.result.gradient.get(name))]
        table.add_row(*row)
    for index, node in enumerate(graph.nodes):
        value = nstr(truth.node_values[index], 17) if index < len(truth.node_values) else "-"
        row = [graph.node_label(index), node.op, value, adjoint_text(index)]
        for verdict in verdicts:
            values, adjoints = verdict.result.node_values, verdict.result.node_adjoints
            row.append(_number(values[index]) if values and index < len(values) else "-")
            row.append(_number(adjoints[index]) if adjoints and index < len(adjoints) else "-")
        table.add_row(*row)
    console.print(table)
    for verdict in verdicts:
        if verdict.skipped:
            console.print(f"{verdict.engine}: not compared ({verdict.skipped})", highlight=False)
            continue
        status = "agrees with the truth" if verdict.ok else f"DIVERGES: {verdict.kind}"
        console.print(f"{verdict.engine}: {status}", highlight=False)
        for finding in verdict.divergences + verdict.informational:
            numbers = ""
            if finding.engine_value is not None or finding.truth is not None:
                numbers = f" (engine {_number(finding.engine_value)}, truth {finding.truth or '-'})"
            console.print(f"  {finding.kind} on {finding.target}: {finding.message}{numbers}", highlight=False)
        if verdict.result.failure is not None:
            console.print(f"  raised: {verdict.result.failure}", highlight=False)
        if verdict.blame is not None:
            labels = [graph.node_label(i) for i in range(len(graph.nodes))]
            console.print(f"  first wrong op: {verdict.blame.describe(labels)}", highlight=False)


@cli.command("engines")
@click.option("--probe", "probe_spec", metavar="SPEC", help="Probe one engine spec and print what it supports.")
@handle_errors
def engines_command(probe_spec: Optional[str]) -> None:
    """List the installed engines gradoracle knows, or probe one spec."""
    from engines._discover import KNOWN_ENGINES, installed_engines

    from ._check import resolve_engine
    from ._errors import EngineLoadError

    if probe_spec is not None:
        engine = resolve_engine(probe_spec)
        report = getattr(engine, "report", None)
        click.echo(f"{probe_spec}: {len(engine.supported_ops)} ops, dtype {engine.dtype}")
        click.echo(f"  ops: {', '.join(sorted(engine.supported_ops))}")
        if report is not None and hasattr(report, "describe"):
            click.echo(report.describe())
        return
    installed = set(installed_engines())
    for spec, module in KNOWN_ENGINES:
        if spec not in installed:
            click.echo(f"{spec:<26} not installed (needs the {module.split('.')[0]} package)")
            continue
        try:
            engine = resolve_engine(spec)
        except EngineLoadError as error:
            click.echo(f"{spec:<26} installed but not usable: {error}")
            continue
        version = getattr(engine, "version", None) or "-"
        click.echo(f"{spec:<26} usable, version {version}, {len(engine.supported_ops)} ops, {engine.dtype}")
    if not installed:
        raise UsageFailure("no engine found; this cannot happen unless the installation is broken")
