"""The pytest plugin's options: declared from the campaign option table, read once per run.

Every option in ``CAMPAIGN_OPTIONS`` becomes ``--oracle-NAME`` on the command
line and ``oracle_DEST`` in the ini file.  The command line wins over the ini
file, and the ini file wins over the table's default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import pytest

from ._errors import InvalidArgument
from ._options import CAMPAIGN_OPTIONS, CampaignOption, parse_ops

__all__ = ["GROUP", "PluginSettings", "SETTINGS_KEY", "add_options", "read_settings"]

#: Name of the option group in ``pytest --help``.
GROUP = "gradoracle"


_DEFAULTS = {option.dest: option.default for option in CAMPAIGN_OPTIONS}


@dataclass(frozen=True)
class PluginSettings:
    """The campaign options of one pytest run, after validation."""

    engines: tuple[str, ...] = ()
    ops: Optional[tuple[str, ...]] = None
    max_examples: int = _DEFAULTS["max_examples"]
    time: Optional[float] = _DEFAULTS["time"]
    seed: int = _DEFAULTS["seed"]
    max_nodes: int = _DEFAULTS["max_nodes"]


SETTINGS_KEY = pytest.StashKey[PluginSettings]()


def _ini_name(option: CampaignOption) -> str:
    return f"oracle_{option.dest}"


def add_options(parser: pytest.Parser) -> None:
    """Declare ``--oracle-*`` options and ``oracle_*`` ini keys for every campaign option."""
    group = parser.getgroup(GROUP, "gradoracle: check the gradients of an autograd engine")
    for option in CAMPAIGN_OPTIONS:
        group.addoption(
            f"--oracle-{option.name}",
            dest=_ini_name(option),
            action="append" if option.multiple else "store",
            default=None,
            metavar=option.metavar,
            help=option.help_with_default(),
        )
        parser.addini(
            _ini_name(option),
            help=option.help_with_default(),
            type="linelist" if option.multiple else "string",
            default=[] if option.multiple else None,
        )


def _raw_value(config: pytest.Config, option: CampaignOption) -> tuple[Any, str]:
    """Return the value given for ``option`` and where it came from, else (None, "")."""
    name = _ini_name(option)
    given = config.getoption(name, None)
    if given is not None:
        return given, f"--oracle-{option.name}"
    from_ini = config.getini(name)
    if from_ini not in (None, "", []):
        return from_ini, f"ini option {name}"
    return None, ""


def _convert(option: CampaignOption, raw: Any, source: str) -> Any:
    if option.multiple:
        items = [raw] if isinstance(raw, str) else list(raw)
        return tuple(text.strip() for text in items if text.strip())
    text = str(raw).strip()
    if option.kind is str:
        return text
    try:
        return option.kind(text)
    except ValueError:
        raise pytest.UsageError(
            f"{source}={text!r} is not a valid {option.kind.__name__}; give a value such as {option.default!r}"
        ) from None


def read_settings(config: pytest.Config) -> PluginSettings:
    """Read and validate the options; raises ``pytest.UsageError`` naming the bad value."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for option in CAMPAIGN_OPTIONS:
        raw, source = _raw_value(config, option)
        if raw is None:
            continue
        values[option.dest] = _convert(option, raw, source)
        sources[option.dest] = source
    try:
        ops = parse_ops(values.pop("ops", None))
    except InvalidArgument as error:
        raise pytest.UsageError(f"{sources['ops']}: {error}") from None
    settings = PluginSettings(
        engines=values.pop("engine", ()),
        ops=None if ops is None else tuple(ops),
        **values,
    )
    if settings.max_examples < 1:
        raise pytest.UsageError(f"{sources['max_examples']}={settings.max_examples} must be at least 1")
    if settings.time is not None and settings.time <= 0:
        raise pytest.UsageError(f"{sources['time']}={settings.time} must be a positive number of seconds")
    if settings.max_nodes < 1:
        raise pytest.UsageError(f"{sources['max_nodes']}={settings.max_nodes} must be at least 1")
    return settings
