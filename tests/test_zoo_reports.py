"""The published campaign reports still replay to their recorded verdicts.

Every reproducer under ``reports/<package>/`` is checked again on the
package it was found in, and its verdict kind must be the one recorded.
The state checks run only for state-across-calls reproducers.  A campaign
runs them on the first probe of each op only, so the other probe
reproducers were recorded without them.  A change of the oracle that turns a
published defect into an agreement (or into a different kind) fails here.

The packages live outside the repository, one ``pip install --target``
folder each, as ``reports/run_zoo.sh DIR`` creates them.  Point
``GRADORACLE_ZOO_DIR`` at DIR; packages whose folder is absent are skipped.
Karpathy's micrograd comes from the test environment instead (the ``test``
extra).  Each package is checked in its own child interpreter because four
of them install the same top-level module ``micrograd``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engines._spec import parse_spec

REPORTS = Path(__file__).resolve().parent.parent / "reports"
ZOO_VARIABLE = "GRADORACLE_ZOO_DIR"
#: Folders under reports/ that are not one package's campaign.
NOT_CAMPAIGNS = {"frameworks"}
#: Reproducers that reports/README.md classifies as oracle false positives,
#: by (package, signature).  They may turn into agreements when the tolerance
#: model changes, and every other reproducer must keep its recorded kind.
#: The current campaigns publish none: each reproducer is a defect.
FALSE_POSITIVES: frozenset[tuple[str, str]] = frozenset()

#: Run in the child: check every reproducer file named on the command line
#: with the engine spec from the file and print {file: verdict kind} as JSON.
#: A numeric reproducer is checked without the state checks, because the
#: state defect would otherwise outrank the recorded kind.
REPLAY_SCRIPT = """
import json, sys
from pathlib import Path
from oracle._check import check, resolve_engine
from oracle._records import read_reproducers

engines = {}
kinds = {}
for name in sys.argv[1:]:
    for file, graph, point, document in read_reproducers(Path(name)):
        spec = document["engine"]
        if spec not in engines:
            engines[spec] = resolve_engine(spec)
        state = document["kind"] == "state-across-calls"
        kinds[name] = check(engines[spec], graph, point, state=state).kind
print(json.dumps(kinds))
"""


def campaign_folders() -> list[Path]:
    return sorted(
        folder for folder in REPORTS.iterdir()
        if folder.is_dir() and folder.name not in NOT_CAMPAIGNS and any(reproducer_files(folder))
    )


def reproducer_files(folder: Path) -> list[Path]:
    """The reproducers of one campaign: every JSON file except the report."""
    return sorted(path for path in folder.glob("*.json") if path.name != "report.json")


def read_record(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def package_folder(spec: str) -> str | None:
    """The ``@DIR`` part of an engine spec, relative to the zoo folder."""
    return parse_spec(spec)[2]


@pytest.mark.parametrize("folder", campaign_folders(), ids=lambda folder: folder.name)
def test_reproducers_replay_to_recorded_kind(folder: Path) -> None:
    files = reproducer_files(folder)
    specs = {read_record(path)["engine"] for path in files}
    assert len(specs) == 1, f"{folder.name}: reproducers name several engines: {sorted(specs)}"
    spec = specs.pop()

    directory = package_folder(spec)
    if directory is None:
        pytest.importorskip(spec.partition(":")[0])
        working_directory = REPORTS
    else:
        zoo = os.environ.get(ZOO_VARIABLE)
        if not zoo:
            pytest.skip(f"set {ZOO_VARIABLE} to the folder that reports/run_zoo.sh installs packages into")
        if not (Path(zoo) / directory).is_dir():
            pytest.skip(f"package folder {directory!r} is missing in {ZOO_VARIABLE}={zoo!r}")
        working_directory = Path(zoo)

    completed = subprocess.run(
        [sys.executable, "-P", "-c", REPLAY_SCRIPT, *(str(path) for path in files)],
        cwd=working_directory, capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    kinds = json.loads(completed.stdout.splitlines()[-1])

    for path in files:
        record = read_record(path)
        expected = record["kind"]
        allowed = {expected}
        if (folder.name, record["signature"]) in FALSE_POSITIVES:
            allowed.add("agree")
        assert kinds[str(path)] in allowed, f"{path.name}: now {kinds[str(path)]}, recorded {expected}"
