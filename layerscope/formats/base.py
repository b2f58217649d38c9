"""The formatter interface and the registry that drives --format choices."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..analysis.inspect import InspectReport
from ..errors import FormatError

__all__ = ["FormatError", "InspectFormatter", "RenderOptions", "inspect_formatters"]


@dataclass(frozen=True)
class RenderOptions:
    """What the user asked of the rendering."""

    top: int = 10
    """How many wasted-file rows to show in human-readable formats."""


class InspectFormatter(Protocol):
    """Turns an inspect report into the text written to stdout or --output."""

    def __call__(self, report: InspectReport, options: RenderOptions) -> str: ...


def inspect_formatters() -> dict[str, InspectFormatter]:
    """Every format `inspect` can write, by --format name."""
    from . import json_report, text

    return {"text": text.render_inspect, "json": json_report.render_inspect}
