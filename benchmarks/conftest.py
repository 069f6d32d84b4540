"""Fixtures shared by the benchmarks: the fixed graph sets and the engines.

The graph sets are drawn once per session (a few seconds) and shared by
every benchmark, so all measures in one run see the same graphs.
"""

from __future__ import annotations

import importlib.metadata
import platform
import subprocess
from typing import Any

import pytest

from _graphset import SIZES, GraphSet, all_op_sets, restricted_sets
from oracle._errors import EngineLoadError

try:
    import torch
except ImportError:  # the gradcheck benchmarks skip themselves
    torch = None
else:
    # One intra-op thread: scalar graphs gain nothing from more, and the
    # comparison with the single-threaded oracle stays fair.
    torch.set_num_threads(1)

MICROGRAD_SPEC = "micrograd.engine:Value"
SET_IDS = ["worked"] + [f"n{nodes}" for nodes in SIZES]
MICROGRAD_SET_IDS = [f"micrograd-n{nodes}" for nodes in SIZES]
#: Distributions whose versions go into the JSON output.
PACKAGES = ("gradoracle", "hypothesis", "mpmath", "gmpy2", "torch", "micrograd", "pytest-benchmark")


@pytest.fixture(scope="session")
def micrograd_engine() -> Any:
    """The installed micrograd ``Value`` (the test extra pins 0.1.0) behind the value-like adapter."""
    from engines._spec import load_engine

    try:
        return load_engine(MICROGRAD_SPEC)
    except EngineLoadError as error:
        pytest.skip(f"micrograd is not usable ({error}); install it with pip install 'gradoracle[test]'")


@pytest.fixture(scope="session")
def all_graph_sets() -> dict[str, GraphSet]:
    """The worked example and the all-ops sets, by parameter id."""
    return dict(zip(SET_IDS, all_op_sets()))


@pytest.fixture(scope="session")
def micrograd_graph_sets(micrograd_engine: Any) -> dict[str, GraphSet]:
    """Sets drawn only from the ops micrograd supports, by parameter id."""
    return dict(zip(MICROGRAD_SET_IDS, restricted_sets("micrograd-ops", micrograd_engine.supported_ops)))


@pytest.fixture(params=SET_IDS)
def graph_set(request: pytest.FixtureRequest, all_graph_sets: dict[str, GraphSet]) -> GraphSet:
    """One all-ops set (or the worked example)."""
    return all_graph_sets[request.param]


@pytest.fixture(params=MICROGRAD_SET_IDS)
def micrograd_set(request: pytest.FixtureRequest, micrograd_graph_sets: dict[str, GraphSet]) -> GraphSet:
    """One set restricted to micrograd's ops."""
    return micrograd_graph_sets[request.param]


@pytest.fixture(params=SET_IDS + MICROGRAD_SET_IDS)
def any_set(request: pytest.FixtureRequest) -> GraphSet:
    """Every set in turn: the all-ops ones, then the micrograd-ops ones."""
    fixture = "micrograd_graph_sets" if request.param.startswith("micrograd") else "all_graph_sets"
    return request.getfixturevalue(fixture)[request.param]


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    """The ``lscpu`` model name, else what the platform module reports."""
    try:
        output = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return platform.processor() or "unknown"
    for line in output.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Model name":
            return value.strip()
    return "unknown"


def pytest_benchmark_update_machine_info(config: pytest.Config, machine_info: dict[str, Any]) -> None:
    """Add the CPU model, the package versions and torch's thread count to the JSON output."""
    machine_info["lscpu_model_name"] = _cpu_model()
    machine_info["packages"] = {name: _version(name) for name in PACKAGES}
    if torch is not None:
        machine_info["torch_threads"] = torch.get_num_threads()
