"""Turn an engine spec string into an engine.

Spec forms:

* ``reference``: the reference engine.
* ``module:Class``: a micrograd-style class, run by ``ValueLikeEngine``
  (``micrograd.engine:Value``; ``Class`` may be dotted, ``Outer.Inner``).
* ``module:Class@PATH``: the same, importing the module with the directory
  PATH first on ``sys.path`` for that import only, so clones that install the
  same top-level package (``micrograd``) can live in separate
  ``pip install --target PATH`` folders.
* ``...?map=FILE``: a TOML or JSON mapping for APIs that probing cannot guess
  (see ``_mapping``).
* ``PREFIX`` or ``PREFIX:ARGUMENT`` for every prefix added with
  ``register_spec_prefix`` (registered prefixes win over module names).

Python keeps one module per name, so one process cannot hold two packages
with the same top-level name from different folders.  Loading the second
raises ``EngineLoadError``; run it in a child process with ``python:SPEC``.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.machinery
import importlib.metadata
import os
import sys
import warnings
from types import ModuleType
from typing import Any, Callable, Mapping, Optional, Union

from oracle._errors import EngineLoadError

from ._mapping import ApiMapping
from ._reference_engine import ReferenceEngine
from ._result import Engine
from ._value_like import ValueLikeEngine

__all__ = ["load_engine", "register_spec_prefix", "parse_spec"]

SpecFactory = Callable[[str], Engine]
_PREFIXES: dict[str, SpecFactory] = {}
#: Folder each top-level module was loaded from by ``load_engine`` (None: sys.path).
_ORIGINS: dict[str, Optional[str]] = {}


def register_spec_prefix(prefix: str, factory: SpecFactory) -> None:
    """Make ``load_engine`` pass specs ``PREFIX`` and ``PREFIX:ARG`` to ``factory(ARG)``.

    ``factory`` receives the text after ``PREFIX:`` (empty for a bare
    ``PREFIX``).  Registering a prefix again replaces its factory.
    """
    if not isinstance(prefix, str) or not prefix or not prefix.replace("-", "_").isidentifier():
        raise EngineLoadError(f"spec prefix={prefix!r} must be a name such as 'torch' or 'process'")
    if prefix == "reference":
        raise EngineLoadError("spec prefix='reference' is taken by the reference engine; pick another name")
    if not callable(factory):
        raise EngineLoadError(f"factory={factory!r} for spec prefix {prefix!r} must be callable")
    _PREFIXES[prefix] = factory


def _register_builtin_prefixes() -> None:
    """Register the built-in prefixes unless already set: process engines
    (``process:``, ``python:``) and frameworks (``torch``, ``jax``, ...).
    Neither module imports a framework until an engine is made."""
    from ._framework import SPEC_PREFIXES as FRAMEWORK_PREFIXES
    from ._process import SPEC_PREFIXES as PROCESS_PREFIXES

    for prefixes in (PROCESS_PREFIXES, FRAMEWORK_PREFIXES):
        for prefix, factory in prefixes.items():
            _PREFIXES.setdefault(prefix, factory)


def parse_spec(spec: str) -> tuple[str, str, Optional[str], Optional[str]]:
    """Split ``module:Class[@PATH][?map=FILE]`` into (module, class path, PATH, FILE)."""
    text, _, query = spec.partition("?")
    map_file: Optional[str] = None
    if query:
        for item in query.split("&"):
            key, equals, value = item.partition("=")
            if key != "map" or not equals or not value:
                raise EngineLoadError(f"engine spec {spec!r}: option {item!r} is unknown; the only option is ?map=FILE")
            map_file = value
    target, at, path = text.partition("@")
    if at and not path:
        raise EngineLoadError(f"engine spec {spec!r}: nothing follows '@'; give a folder or drop '@'")
    module_name, colon, class_path = target.partition(":")
    if not colon or not module_name or not class_path:
        known = ", ".join(["reference", *sorted(_PREFIXES)])
        raise EngineLoadError(
            f"engine spec {spec!r} is not 'module:Class', 'module:Class@PATH' or a known name ({known})"
        )
    parts = module_name.split(".") + class_path.split(".")
    if not all(part.isidentifier() for part in parts):
        raise EngineLoadError(f"engine spec {spec!r}: {target!r} is not a dotted module name, ':' and a class name")
    return module_name, class_path, (path or None), map_file


def load_engine(spec: str, *, mapping: Union[None, Mapping[str, Any], str, ApiMapping] = None) -> Engine:
    """Return the engine named by ``spec``; raises ``EngineLoadError`` for a bad spec."""
    if not isinstance(spec, str) or not spec.strip():
        raise EngineLoadError(f"engine spec={spec!r} must be a non-empty string such as 'micrograd.engine:Value'")
    spec = spec.strip()
    if spec == "reference":
        return ReferenceEngine()
    _register_builtin_prefixes()
    prefix, _, argument = spec.partition(":")
    if prefix in _PREFIXES:
        return _PREFIXES[prefix](argument)
    module_name, class_path, path, map_file = parse_spec(spec)
    if map_file is not None and mapping is not None:
        raise EngineLoadError(f"engine spec {spec!r} has ?map= and a mapping argument; give the mapping once")
    module, notes = _import(spec, module_name, path)
    cls = _resolve_class(spec, module, class_path)
    return ValueLikeEngine(
        cls,
        name=spec,
        mapping=map_file if map_file is not None else mapping,
        version=_version(module_name, module, path),
        notes=notes,
    )


def _location(module: ModuleType) -> Optional[str]:
    file = getattr(module, "__file__", None)
    if file:
        return os.path.realpath(file)
    paths = list(getattr(module, "__path__", []))
    return os.path.realpath(paths[0]) if paths else None


def _is_inside(location: Optional[str], folder: str) -> bool:
    return location is not None and (location + os.sep).startswith(folder + os.sep)


def _check_conflict(spec: str, top: str, folder: Optional[str]) -> None:
    loaded = sys.modules.get(top)
    if loaded is None:
        return
    location = _location(loaded)
    if top in _ORIGINS:
        same = _ORIGINS[top] == folder or (folder is not None and _is_inside(location, folder))
    else:
        same = folder is None or _is_inside(location, folder)
    if not same:
        raise EngineLoadError(
            f"engine spec {spec!r}: module {top!r} is already loaded from {location or 'an unknown place'} "
            f"in this process and Python cannot load a second copy; run this engine in its own process "
            f"with the spec 'python:{spec}'"
        )


def _import(spec: str, module_name: str, path: Optional[str]) -> tuple[ModuleType, tuple[str, ...]]:
    top = module_name.split(".")[0]
    folder = os.path.realpath(path) if path is not None else None
    if folder is not None:
        if not os.path.isdir(folder):
            raise EngineLoadError(f"engine spec {spec!r}: folder {path!r} does not exist; check the path after '@'")
        if top not in sys.modules and importlib.machinery.PathFinder.find_spec(top, [folder]) is None:
            raise EngineLoadError(
                f"engine spec {spec!r}: module {top!r} is not in {path!r}; "
                f"install it there with 'pip install --target {path} PACKAGE'"
            )
    _check_conflict(spec, top, folder)
    if folder is not None:
        sys.path.insert(0, folder)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            importlib.invalidate_caches()
            module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        missing = error.name or module_name
        if missing == module_name or module_name.startswith(missing + "."):
            where = f" in {path!r}" if path else ""
            raise EngineLoadError(
                f"engine spec {spec!r}: module {module_name!r} not found{where}; "
                + ("check the module path" if path else f"pip install the package that provides {top!r}, or add @PATH")
            ) from None
        raise EngineLoadError(
            f"engine spec {spec!r}: importing {module_name!r} needs module {missing!r}, which is missing; "
            + (f"pip install --target {path} {missing}" if path else f"pip install {missing}")
        ) from None
    except Exception as error:
        raise EngineLoadError(
            f"engine spec {spec!r}: importing {module_name!r} raised {type(error).__name__}: {error}"
        ) from None
    finally:
        if folder is not None:
            sys.path.remove(folder)
    _ORIGINS.setdefault(top, folder)
    notes = tuple(f"import warning: {warning.category.__name__}: {warning.message}" for warning in caught)
    return module, notes


def _resolve_class(spec: str, module: ModuleType, class_path: str) -> type:
    owner: Any = module
    for part in class_path.split("."):
        if not hasattr(owner, part):
            names = [name for name in dir(owner) if not name.startswith("_")]
            classes = [name for name in names if isinstance(getattr(owner, name, None), type)]
            hint = difflib.get_close_matches(part, names, n=3, cutoff=0.5)
            suggestion = f"; did you mean {', '.join(hint)}?" if hint else ""
            listing = f"; classes there: {', '.join(classes[:12])}" if classes else ""
            raise EngineLoadError(
                f"engine spec {spec!r}: {getattr(owner, '__name__', owner)!r} has no attribute {part!r}{suggestion}{listing}"
            )
        owner = getattr(owner, part)
    if not isinstance(owner, type):
        raise EngineLoadError(
            f"engine spec {spec!r}: {class_path!r} is a {type(owner).__name__}, not a class; name the Value class"
        )
    return owner


def _version(module_name: str, module: ModuleType, path: Optional[str]) -> Optional[str]:
    """Return the installed distribution's version, else the module's ``__version__``."""
    top = module_name.split(".")[0]
    try:
        if path is None:
            names = importlib.metadata.packages_distributions().get(top, [])
            if names:
                return importlib.metadata.version(names[0])
        for distribution in importlib.metadata.distributions(path=[path]) if path is not None else ():
            top_level = (distribution.read_text("top_level.txt") or "").split()
            files = distribution.files or []
            if top in top_level or any(str(file).split("/")[0] == top for file in files):
                return distribution.version
    except (OSError, ValueError, importlib.metadata.PackageNotFoundError):
        pass  # broken or missing metadata: fall back to __version__
    version = getattr(sys.modules.get(top), "__version__", None)
    return version if isinstance(version, str) else None
