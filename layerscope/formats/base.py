"""The formatter interface and the registry that drives --format choices."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ..errors import FormatError

if TYPE_CHECKING:
    from ..analysis.inspect import InspectReport

__all__ = ["FormatError", "INSPECT_FORMATS", "InspectFormatter", "RenderOptions",
           "inspect_formatter"]

INSPECT_FORMATS = {"text": "text", "json": "json_report"}
"""--format name -> module in this package that has render_inspect (imported only when used)."""


@dataclass(frozen=True)
class RenderOptions:
    """What the user asked of the rendering."""

    top: int = 10
    """How many wasted-file rows to show in human-readable formats."""


class InspectFormatter(Protocol):
    """Turns an inspect report into the text written to stdout or --output."""

    def __call__(self, report: InspectReport, options: RenderOptions) -> str: ...


def inspect_formatter(name: str) -> InspectFormatter:
    """The renderer registered under a --format name."""
    if name not in INSPECT_FORMATS:
        raise FormatError(f"unknown format {name!r}; choose from {', '.join(INSPECT_FORMATS)}")
    module = importlib.import_module(f".{INSPECT_FORMATS[name]}", __package__)
    return module.render_inspect
