"""The public surface of the three packages."""

from __future__ import annotations

import subprocess
import sys

import pytest

import engines
import oracle
import strategies


@pytest.mark.parametrize("package", [oracle, engines, strategies], ids=lambda p: p.__name__)
def test_every_public_name_resolves(package):
    for name in package.__all__:
        assert getattr(package, name) is not None, name


@pytest.mark.parametrize("package", [oracle, engines, strategies], ids=lambda p: p.__name__)
def test_all_lists_public_names_once(package):
    assert len(package.__all__) == len(set(package.__all__))
    assert all(not name.startswith("_") for name in package.__all__)


def test_importing_oracle_loads_no_mpmath():
    code = "import sys, oracle; print('mpmath' in sys.modules)"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout

    assert output.strip() == "False"


def test_doctest_of_oracle_package():
    import doctest

    failures, _ = doctest.testmod(oracle)

    assert failures == 0
