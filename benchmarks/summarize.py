"""Turn a pytest-benchmark JSON file from this suite into the Markdown tables of the benchmarks page.

Usage: ``python benchmarks/summarize.py RUN.json [--statistic median|min]``

Times per graph are round times divided by the set's size.  The ratio
columns divide the whole check (``oracle._check.check``) by
``torch.autograd.gradcheck`` on the same graphs: above 1 the oracle is slower.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Optional

#: Columns of the per-graph table, by the ``measure`` each benchmark records.
MEASURES = (
    "truth",
    "truth, no finite differences",
    "attainable float64",
    "judge",
    "check reference",
    "check micrograd",
    "campaign check reference",
    "campaign check micrograd",
    "gradcheck fast_mode=False",
    "gradcheck fast_mode=True",
)


def load(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        sys.exit(f"cannot read benchmark JSON {path}: {error}; pass the file written by --benchmark-json")


def per_graph_ms(benchmark: dict[str, Any], statistic: str) -> float:
    return benchmark["stats"][statistic] / benchmark["extra_info"]["graphs"] * 1000


def _cell(value: Optional[float], digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def per_graph_table(benchmarks: list[dict[str, Any]], statistic: str) -> list[str]:
    """Build the per-graph table: one row per graph set, milliseconds per graph for each measure, then the ratios."""
    rows: dict[str, dict[str, float]] = {}
    sizes: dict[str, int] = {}
    for benchmark in benchmarks:
        measure = benchmark["extra_info"].get("measure")
        if measure in MEASURES:
            rows.setdefault(benchmark["group"], {})[measure] = per_graph_ms(benchmark, statistic)
            sizes[benchmark["group"]] = benchmark["extra_info"]["graphs"]
    header = ["graph set", "graphs"] + [f"{measure} (ms)" for measure in MEASURES]
    header += ["check / gradcheck", "check / gradcheck fast", "campaign check / gradcheck"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for group, cells in rows.items():
        # The micrograd sets compare micrograd's check; the others the reference engine's.
        ours = cells.get("check micrograd", cells.get("check reference"))
        ratios = []
        for mode in ("gradcheck fast_mode=False", "gradcheck fast_mode=True"):
            theirs = cells.get(mode)
            ratios.append(None if ours is None or not theirs else ours / theirs)
        campaign = cells.get("campaign check micrograd", cells.get("campaign check reference"))
        theirs = cells.get("gradcheck fast_mode=False")
        ratios.append(None if campaign is None or not theirs else campaign / theirs)
        values = [_cell(cells.get(measure)) for measure in MEASURES] + [_cell(ratio) for ratio in ratios]
        lines.append("| " + " | ".join([group, str(sizes[group])] + values) + " |")
    return lines


def rate_table(benchmarks: list[dict[str, Any]], group: str, statistic: str) -> list[str]:
    """Build the table of examples per second for the generation or campaign group."""
    lines = ["| benchmark | examples per round | seconds per round | examples per second | notes |",
             "|---|---|---|---|---|"]
    for benchmark in benchmarks:
        if benchmark["group"] != group:
            continue
        info = benchmark["extra_info"]
        seconds = benchmark["stats"][statistic]
        notes = ", ".join(info.get("defects", [])) if "defects" in info else ""
        if "defects" in info and not notes:
            notes = "no defects"
        lines.append(f"| {benchmark['name']} | {info['examples']} | {seconds:.2f} | "
                     f"{info['examples'] / seconds:.1f} | {notes} |")
    return lines


def memory_lines(benchmarks: list[dict[str, Any]]) -> list[str]:
    lines = []
    for benchmark in benchmarks:
        info = benchmark["extra_info"]
        if "peak_traced_mib" in info:
            lines.append(f"- {benchmark['name']}: {info['examples']} examples, "
                         f"peak traced memory {info['peak_traced_mib']} MiB "
                         f"({benchmark['stats']['max']:.0f} s under tracemalloc)")
    return lines


def machine_lines(data: dict[str, Any]) -> list[str]:
    machine = data["machine_info"]
    commit = data.get("commit_info", {})
    packages = ", ".join(f"{name} {version}" for name, version in machine.get("packages", {}).items())
    return [
        f"- date: {data['datetime']}",
        f"- CPU: {machine.get('lscpu_model_name', machine['cpu'].get('brand_raw'))}, "
        f"{machine['cpu'].get('count')} cores; torch threads: {machine.get('torch_threads', 'n/a')}",
        f"- Python: {machine['python_implementation']} {machine['python_version']}",
        f"- packages: {packages}",
        f"- commit: {commit.get('id', '?')}{' (uncommitted changes present)' if commit.get('dirty') else ''}",
    ]


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json_file", type=Path, help="file written by pytest --benchmark-json")
    parser.add_argument("--statistic", choices=("median", "min"), default="median",
                        help="round statistic every table uses (default: median)")
    options = parser.parse_args(argv)
    data = load(options.json_file)
    benchmarks = data["benchmarks"]
    sections = [
        ["## Machine", *machine_lines(data)],
        [f"## Per graph ({options.statistic} of rounds)", *per_graph_table(benchmarks, options.statistic)],
        ["## Generation", *rate_table(benchmarks, "generation", options.statistic)],
        ["## Campaigns", *rate_table(benchmarks, "campaign", options.statistic)],
        ["## Memory", *memory_lines(benchmarks)],
    ]
    print("\n\n".join("\n".join(section) for section in sections))


if __name__ == "__main__":
    main()
