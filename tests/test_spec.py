"""Engine specs: forms, @PATH imports, mappings, prefixes and their errors."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from engines import ReferenceEngine
from engines import _spec
from engines._spec import load_engine, parse_spec, register_spec_prefix
from engines._value_like import ValueLikeEngine
from oracle import EngineLoadError, parse_expression
from tests.doubles import GoodValue

GOOD_SOURCE = "from tests.doubles.good import GoodValue as Value\n"


def make_package(root: Path, name: str, source: str, version: str = "") -> Path:
    """Write package ``name`` with ``source`` as its ``__init__`` under ``root``; return ``root``."""
    package = root / name
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(source)
    if version:
        info = root / f"{name}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        (info / "top_level.txt").write_text(f"{name}\n")
        (info / "RECORD").write_text(f"{name}/__init__.py,,\n")
    return root


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def test_reference_spec() -> None:
    assert isinstance(load_engine("reference"), ReferenceEngine)


def test_class_spec_loads_adapter() -> None:
    engine = load_engine("tests.doubles.good:GoodValue")
    assert isinstance(engine, ValueLikeEngine)
    assert engine.name == "tests.doubles.good:GoodValue"
    assert engine.cls is GoodValue
    assert engine.dtype == "float64"


def test_dotted_class_path(tmp_path: Path) -> None:
    name = unique("nested")
    source = "from tests.doubles.good import GoodValue\nclass Outer:\n    Inner = GoodValue\n"
    folder = make_package(tmp_path, name, source)
    engine = load_engine(f"{name}:Outer.Inner@{folder}")
    assert engine.cls is GoodValue


def test_parse_spec_parts() -> None:
    assert parse_spec("pkg.mod:Cls") == ("pkg.mod", "Cls", None, None)
    assert parse_spec("pkg:A.B@/some/dir?map=m.toml") == ("pkg", "A.B", "/some/dir", "m.toml")


@pytest.mark.parametrize(
    "spec, message",
    [
        ("", "non-empty string"),
        ("nocolon", "is not 'module:Class'"),
        ("mod:", "is not 'module:Class'"),
        (":Cls", "is not 'module:Class'"),
        ("mod:Cls@", "nothing follows '@'"),
        ("mod:Cls?foo=1", "option 'foo=1' is unknown"),
        ("mod:1bad", "not a dotted module name"),
        ("no_such_module_xyz:Value", "pip install"),
        ("tests.doubles.good:GodValue", "did you mean GoodValue"),
        ("tests.doubles.good:divide", "not a class"),
        ("tests.doubles.good:GoodValue@/no/such/folder", "does not exist"),
    ],
)
def test_bad_spec_message(spec: str, message: str) -> None:
    with pytest.raises(EngineLoadError) as raised:
        load_engine(spec)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_path_without_module(tmp_path: Path) -> None:
    with pytest.raises(EngineLoadError, match="pip install --target"):
        load_engine(f"{unique('absent')}:Value@{tmp_path}")


def test_missing_dependency_named(tmp_path: Path) -> None:
    name = unique("needs")
    dependency = unique("dependency")
    folder = make_package(tmp_path, name, f"import {dependency}\n")
    with pytest.raises(EngineLoadError, match=f"needs module '{dependency}'.*pip install --target"):
        load_engine(f"{name}:Value@{folder}")


def test_import_error_reported(tmp_path: Path) -> None:
    name = unique("broken")
    folder = make_package(tmp_path, name, "raise RuntimeError('boom')\n")
    with pytest.raises(EngineLoadError, match="raised RuntimeError: boom"):
        load_engine(f"{name}:Value@{folder}")


def test_path_import_leaves_sys_path(tmp_path: Path) -> None:
    import sys

    name = unique("clean")
    folder = make_package(tmp_path, name, GOOD_SOURCE)
    before = list(sys.path)
    load_engine(f"{name}:Value@{folder}")
    assert sys.path == before


def test_same_name_two_paths_rejected(tmp_path: Path) -> None:
    name = unique("twin")
    first = make_package(tmp_path / "one", name, GOOD_SOURCE)
    second = make_package(tmp_path / "two", name, GOOD_SOURCE)
    assert load_engine(f"{name}:Value@{first}").cls is GoodValue
    assert load_engine(f"{name}:Value@{first}").cls is GoodValue
    with pytest.raises(EngineLoadError, match=f"already loaded.*'python:{name}:Value@"):
        load_engine(f"{name}:Value@{second}")


def test_loaded_name_rejected_elsewhere(tmp_path: Path) -> None:
    load_engine("micrograd.engine:Value")
    folder = make_package(tmp_path, "micrograd", GOOD_SOURCE)
    with pytest.raises(EngineLoadError, match="already loaded"):
        load_engine(f"micrograd:Value@{folder}")


def test_version_from_metadata(tmp_path: Path) -> None:
    name = unique("versioned")
    folder = make_package(tmp_path, name, GOOD_SOURCE, version="1.2.3")
    assert load_engine(f"{name}:Value@{folder}").version == "1.2.3"
    assert load_engine("micrograd.engine:Value").version == "0.1.0"


def test_import_warnings_become_notes(tmp_path: Path) -> None:
    name = unique("noisy")
    source = "import warnings\nwarnings.warn('plotting is not available')\n" + GOOD_SOURCE
    folder = make_package(tmp_path, name, source)
    engine = load_engine(f"{name}:Value@{folder}")
    assert any("plotting is not available" in note for note in engine.report.notes)


# --- mappings ------------------------------------------------------------------------


RENAMED = "tests.doubles.variants:Renamed"


def test_mapping_keyword() -> None:
    engine = load_engine(RENAMED, mapping={"backward": "run_back", "ops": {"relu": "activate"}})
    assert "relu" in engine.supported_ops


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_mapping_file_in_spec(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"map{suffix}"
    if suffix == ".toml":
        path.write_text('backward = "run_back"\nbackward_twice = "reset"\n[ops]\nrelu = "activate"\n')
    else:
        path.write_text(json.dumps({"backward": "run_back", "backward_twice": "reset", "ops": {"relu": "activate"}}))
    engine = load_engine(f"{RENAMED}?map={path}")
    assert "relu" in engine.supported_ops
    assert engine.api.backward_twice == "reset"
    result = engine.run(parse_expression("relu(a)*a"), {"a": 3.0})
    assert result.gradient == {"a": 6.0}


@pytest.mark.parametrize(
    "mapping, message",
    [
        ({"backwards": "x"}, "did you mean 'backward'"),
        ({"backward": "not a name"}, "must be a method or attribute name"),
        ({"backward_twice": "sometimes"}, "must be one of reset, accumulate, either"),
        ({"ops": {"rleu": "x"}}, "did you mean 'relu'"),
        ({"ops": {"relu": 3}}, "must be a method name"),
        ({"ops": ["relu"]}, "must map op names"),
        ("mapping.yaml", "must end in .toml or .json"),
        ("missing.toml", "cannot read mapping file"),
    ],
)
def test_bad_mapping_message(mapping: Any, message: str) -> None:
    with pytest.raises(EngineLoadError) as raised:
        load_engine("tests.doubles.good:GoodValue", mapping=mapping)
    assert message in str(raised.value)


def test_invalid_toml_mapping(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("backward = \n")
    with pytest.raises(EngineLoadError, match="is invalid"):
        load_engine(f"tests.doubles.good:GoodValue?map={path}")


def test_mapping_given_twice(tmp_path: Path) -> None:
    with pytest.raises(EngineLoadError, match="give the mapping once"):
        load_engine(f"{RENAMED}?map={tmp_path / 'm.toml'}", mapping={"backward": "run_back"})


# --- prefixes ------------------------------------------------------------------------


@pytest.fixture
def isolated_prefixes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_spec, "_PREFIXES", dict(_spec._PREFIXES))


def test_registered_prefix_receives_argument(isolated_prefixes: None) -> None:
    calls: list[str] = []

    def factory(argument: str) -> ReferenceEngine:
        calls.append(argument)
        return ReferenceEngine()

    register_spec_prefix("fake", factory)
    load_engine("fake:float32:extra")
    load_engine("fake")
    assert calls == ["float32:extra", ""]


@pytest.mark.parametrize("prefix", ["", "has:colon", "reference", "two words"])
def test_invalid_prefix_rejected(isolated_prefixes: None, prefix: str) -> None:
    with pytest.raises(EngineLoadError):
        register_spec_prefix(prefix, lambda argument: ReferenceEngine())


def test_process_prefixes_available() -> None:
    engine = load_engine("python:tests.doubles.good:GoodValue")
    try:
        result = engine.run(parse_expression("a*b"), {"a": 2.0, "b": 3.0})
    finally:
        close = getattr(engine, "close", None)
        if close is not None:
            close()
    assert result.failure is None
    assert result.gradient == {"a": 3.0, "b": 2.0}
