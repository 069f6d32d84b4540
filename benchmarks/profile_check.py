"""Profile ``check`` on the reference engine over the all-ops graph sets and print where the time goes.

Usage: ``python benchmarks/profile_check.py [--repeat N] [--top N]``

Prints the share of the checks' time spent inside each stage (cumulative
time of the stage's function over that of ``check``), then cProfile's own
top functions by internal time.  Shares of nested stages overlap: the chain
rule is part of the truth, and ``judge`` computes the attainable balls on
first use, so their time is part of the judge's.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _graphset import all_op_sets  # noqa: E402
from engines import ReferenceEngine  # noqa: E402
from oracle._check import check  # noqa: E402

#: (label, file suffix, function name) of the stages whose share is printed.
STAGES = (
    ("check", "oracle/_check.py", "check"),
    ("compute_truth", "oracle/_truth.py", "compute_truth"),
    ("  forward pass", "oracle/_truth.py", "_forward"),
    ("  chain rule", "oracle/_truth.py", "_chain_rule"),
    ("  finite differences", "oracle/_truth.py", "_confirm"),
    ("attainable_balls", "oracle/_attainable.py", "attainable_balls"),
    ("  corner evaluations", "oracle/_attainable.py", "_deviation"),
    ("Ball.times (truth and attainable)", "oracle/_attainable.py", "times"),
    ("local_derivative_balls (both passes)", "oracle/_truth.py", "local_derivative_balls"),
    ("judge (includes attainable_balls)", "oracle/_verdict.py", "judge"),
    ("ReferenceEngine.run (reference and engine under test)", "engines/_reference_engine.py", "run"),
)


def stage_shares(stats: pstats.Stats) -> list[tuple[str, float]]:
    """Return (label, cumulative seconds) for each entry of ``STAGES`` found in ``stats``."""
    table = stats.stats  # type: ignore[attr-defined]
    shares = []
    for label, suffix, function in STAGES:
        seconds = sum(
            entry[3] for (filename, _, name), entry in table.items()
            if name == function and filename.endswith(suffix)
        )
        shares.append((label, seconds))
    return shares


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="passes over the graph sets (default: 5)")
    parser.add_argument("--top", type=int, default=15, help="functions listed by internal time (default: 15)")
    options = parser.parse_args(argv)
    if options.repeat < 1:
        parser.error(f"--repeat={options.repeat} must be at least 1")

    examples = [example for graph_set in all_op_sets() for example in graph_set.examples]
    engine = ReferenceEngine()
    for graph, point in examples:  # warm caches (mpmath contexts, imports) outside the profile
        check(engine, graph, point)

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(options.repeat):
        for graph, point in examples:
            check(engine, graph, point)
    profiler.disable()

    stats = pstats.Stats(profiler)
    shares = stage_shares(stats)
    total = shares[0][1]  # the cumulative time of check itself
    checks = options.repeat * len(examples)
    print(f"{checks} checks of {len(examples)} graphs, {total:.3f} s in check under the profiler, "
          f"{total / checks * 1000:.2f} ms per check")
    for label, seconds in shares:
        print(f"{label:54s} {seconds:8.3f} s {seconds / total:7.1%}")
    print()
    stats.sort_stats("tottime").print_stats(options.top)


if __name__ == "__main__":
    main()
