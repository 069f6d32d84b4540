"""Campaigns spread over worker processes.

Each worker runs the whole campaign on its own share of the examples with
its own seed.  It writes its reproducers to the shared report folder and
sends progress through a queue.  The parent merges the defects and keeps the
smallest example of each signature.
"""

from __future__ import annotations

import multiprocessing
import queue
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable, Optional, Sequence

from ._campaign import CampaignResult, Defect, fuzz

__all__ = ["fuzz_in_workers"]


def _worker(specs: Sequence[str], options: dict[str, Any], progress: Any) -> CampaignResult:
    def on_progress(name: str, count: int) -> None:
        progress.put((name, count))

    return fuzz(specs, on_progress=on_progress, **options)


def _merge(results: list[CampaignResult], seed: int) -> CampaignResult:
    merged = CampaignResult(seed=seed)
    by_spec: dict[str, Any] = {}
    for result in results:
        merged.seconds = max(merged.seconds, result.seconds)
        merged.interrupted = merged.interrupted or result.interrupted
        for summary in result.engines:
            if summary.spec not in by_spec:
                by_spec[summary.spec] = summary
                merged.engines.append(summary)
            else:
                total = by_spec[summary.spec]
                total.examples += summary.examples
                total.probes = max(total.probes, summary.probes)
                total.skipped += summary.skipped
                total.seconds = max(total.seconds, summary.seconds)
    for attribute in ("defects", "informational"):
        kept: list[Defect] = []
        for result in results:
            for defect in getattr(result, attribute):
                match = next((k for k in kept if k.signature == defect.signature or k.signature.covers(defect.signature)), None)
                if match is None:
                    kept.append(defect)
                    continue
                match.count += defect.count
                if defect.size < match.size:
                    defect.count = match.count
                    kept[kept.index(match)] = defect
        setattr(merged, attribute, kept)
    return merged


def fuzz_in_workers(specs: Sequence[str], workers: int, *, max_examples: int, seed: int,
                    on_progress: Optional[Callable[[str, int], None]] = None, **options: Any) -> CampaignResult:
    """Run ``fuzz`` in ``workers`` processes; ``max_examples`` is split between them."""
    context = multiprocessing.get_context("spawn")
    manager = context.Manager()
    progress = manager.Queue()
    shares = [max_examples // workers + (1 if i < max_examples % workers else 0) for i in range(workers)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [
            pool.submit(_worker, list(specs), {**options, "max_examples": share, "seed": seed * workers + i}, progress)
            for i, share in enumerate(shares) if share > 0
        ]
        while not all(f.done() for f in futures):
            try:
                name, count = progress.get(timeout=0.2)
            except queue.Empty:
                continue
            if on_progress is not None:
                on_progress(name, count)
        results = [f.result() for f in futures]
    manager.shutdown()
    return _merge(results, seed)
