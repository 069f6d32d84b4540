"""The campaign options, declared once for the CLI and the pytest plugin.

The CLI spells them ``--max-examples``; the pytest plugin prefixes them,
``--oracle-max-examples``, and reads the same names from the ini file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from ._errors import InvalidArgument
from ._ops import OP_NAMES

__all__ = ["CampaignOption", "CAMPAIGN_OPTIONS", "parse_ops", "DEFAULT_MAX_EXAMPLES"]

DEFAULT_MAX_EXAMPLES = 300


@dataclass(frozen=True)
class CampaignOption:
    """One option: its name without dashes, value type, default and help text."""

    name: str
    kind: type
    default: Any
    help: str
    metavar: str
    multiple: bool = False

    @property
    def dest(self) -> str:
        return self.name.replace("-", "_")

    def help_with_default(self) -> str:
        """Return the help text ending with its default, as the CLI and the plugin show it."""
        shown = "none" if self.default in (None, ()) else self.default
        return f"{self.help} Default: {shown}."


CAMPAIGN_OPTIONS: tuple[CampaignOption, ...] = (
    CampaignOption("engine", str, (), "Engine spec to check (repeatable): reference, module:Class, "
                   "module:Class@DIR, torch, jax, process:COMMAND ...", "SPEC", multiple=True),
    CampaignOption("ops", str, None, "Comma-separated op names to draw from, e.g. add,mul,tanh; "
                   "each engine uses the ones it supports.", "LIST"),
    CampaignOption("max-examples", int, DEFAULT_MAX_EXAMPLES, "Examples per engine.", "N"),
    CampaignOption("time", float, None, "Time budget in seconds for the whole campaign.", "SECONDS"),
    CampaignOption("seed", int, 0, "Seed of the campaign; the same seed draws the same examples.", "N"),
    CampaignOption("max-nodes", int, 8, "Largest graph to draw, in nodes.", "N"),
)


def parse_ops(text: Optional[str]) -> Optional[list[str]]:
    """Split a comma-separated op list and reject unknown names with a suggestion."""
    if text is None:
        return None
    names = [part.strip() for part in text.split(",")]
    if not all(names):
        raise InvalidArgument(f"ops={text!r} has an empty item; give comma-separated op names such as add,mul,tanh")
    for name in names:
        if name not in OP_NAMES:
            from difflib import get_close_matches

            hint = get_close_matches(name, OP_NAMES, n=1)
            suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise InvalidArgument(
                f"ops: {name!r} is not an op{suggestion}; choose from {', '.join(OP_NAMES)}"
            )
    return names
