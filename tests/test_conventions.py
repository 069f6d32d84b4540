"""The kink-convention table, observed on the reference engine, doubles and real packages."""

from __future__ import annotations

import math

import pytest

from oracle._conventions import PROBES, conventions_markdown, observe_conventions


@pytest.fixture(scope="module")
def table():
    return observe_conventions(["reference", "tests.doubles:ReluKinkTwo", "tests.doubles:AbsKinkNan",
                                "no_such_module:Value"])


def cell(table, engine, key):
    return table["cells"][engine][key]


def test_conventions_one_row_per_probe(table):
    assert [row["key"] for row in table["probes"]] == [probe.key for probe in PROBES]
    assert [column["spec"] for column in table["engines"]] == [
        "reference", "tests.doubles:ReluKinkTwo", "tests.doubles:AbsKinkNan", "no_such_module:Value"]


def test_conventions_reference_values(table):
    assert cell(table, "reference", "relu'(0)")["value"] == 0.0
    assert cell(table, "reference", "max(x, y) tie: d/dx")["value"] == 0.5
    assert cell(table, "reference", "sqrt'(0)")["value"] == "inf"
    assert cell(table, "reference", "d(x**0)/dx at x = 0")["value"] == 0.0


def test_conventions_reference_statuses(table):
    assert cell(table, "reference", "relu'(0)")["status"] == "convention"
    assert cell(table, "reference", "sigmoid'(40)")["status"] == "agrees"
    assert cell(table, "reference", "tanh'(20)")["status"] == "agrees"


def test_conventions_kink_outside_range(table):
    observed = cell(table, "tests.doubles:ReluKinkTwo", "relu'(0)")

    assert observed["value"] == 2.0
    assert observed["status"] == "kink-outside-range"


def test_conventions_nan_at_kink(table):
    observed = cell(table, "tests.doubles:AbsKinkNan", "abs'(0)")

    assert observed["value"] == "nan"
    assert observed["status"] == "non-finite"


def test_conventions_engine_not_loaded(table):
    statuses = {entry["status"] for entry in table["cells"]["no_such_module:Value"].values()}

    assert statuses == {"not loaded"}
    assert "not found" in table["engines"][3]["load_error"]


def test_conventions_truth_ranges(table):
    truths = {row["key"]: row["truth"] for row in table["probes"]}

    assert truths["relu'(0)"] == "any value in [0.0, 1.0]"
    assert truths["abs'(0)"] == "any value in [-1.0, 1.0]"
    assert truths["sqrt'(0)"] == "+inf"
    assert math.isclose(float(truths["sigmoid'(40)"]), 4.248354255291589e-18)


def test_conventions_markdown_rows(table):
    text = conventions_markdown(table)

    assert text.count("\n| ") == 1 + len(PROBES)  # the header, then one row per probe
    assert "2.0 (kink-outside-range)" in text
    assert "| not loaded |" in text


def test_conventions_micrograd():
    pytest.importorskip("micrograd.engine")
    table = observe_conventions(["micrograd.engine:Value"])
    cells = table["cells"]["micrograd.engine:Value"]

    assert cells["relu'(0)"]["value"] == 0.0
    assert cells["abs'(0)"]["status"] == "unsupported"
    # micrograd 0.1.0 computes d(x**0)/dx as 0 * x**-1, which divides by zero at x = 0.
    assert cells["d(x**0)/dx at x = 0"]["status"] == "crash"


def test_conventions_torch():
    pytest.importorskip("torch")
    table = observe_conventions(["torch"])
    cells = table["cells"]["torch"]

    assert cells["relu'(0)"]["value"] == 0.0
    assert cells["max(x, y) tie: d/dx"]["value"] == 0.5
    assert cells["max(x, y) tie: d/dy"]["value"] == 0.5
    assert cells["d(x**0)/dx at x = 0"]["value"] == 0.0
    # torch's sigmoid backward is (1 - y) * y, which is 0 once sigmoid(x) rounds to 1.
    assert cells["sigmoid'(40)"] == {"value": 0.0, "status": "wrong-gradient",
                                     "message": "the gradient is outside what float64 can attain"}
