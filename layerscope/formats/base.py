"""The formatter interface and the registry that drives --format choices for every command."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import FormatError
from .fit import PLAIN, Fit

__all__ = ["FORMATS", "FormatError", "Formatter", "RenderOptions", "formatter"]

FORMATS: dict[str, dict[str, str]] = {
    "inspect": {"text": "text", "json": "json_report", "markdown": "markdown",
                "oneline": "oneline", "html": "html.render"},
    "diff": {"text": "text", "json": "json_report", "markdown": "markdown", "html": "html.render"},
    "check": {"text": "check_text", "json": "check_json", "markdown": "check_markdown",
              "junit": "junit", "github": "github", "html": "html.render"},
    "advise": {"text": "text", "json": "json_report", "markdown": "markdown"},
    "fleet": {"text": "fleet_text", "json": "fleet_json", "markdown": "fleet_markdown",
              "html": "fleet_html"},
}
"""command -> --format name -> module of this package with a `render_<command>` function.
Modules are imported only when used, so start-up stays fast."""


@dataclass(frozen=True)
class RenderOptions:
    """What the user asked of the rendering."""

    top: int = 10
    """How many rows of the long lists (wasted files, changed files) human formats show."""
    depth: int | None = None
    """diff: sum file changes by directory at this depth instead of listing files."""
    path_glob: str | None = None
    """inspect --path: the report's wasted files are those this glob covers (analysis.globs)."""
    fit: Fit = PLAIN
    """The reader's width, --no-trunc, --wide and colour (formats.fit)."""
    expand: bool = False
    """inspect: list the files of each wasted group under it (--top of them per group)."""
    dockerfile_lines: tuple[tuple[int, int], ...] = ()
    """inspect --dockerfile: (step, Dockerfile line) for the steps the Dockerfile made."""
    dockerfile: str | None = None
    """inspect --dockerfile: its path as given, for the findings' PATH:LINE locations."""
    filesystem: Any = None
    """inspect html: a function giving the final filesystem's files as (path, step, bytes,
    False), for the directory map (None: the map shows only the dead bytes)."""
    patch: str | None = None
    """inspect --dockerfile: the unified diff of the findings' mechanical fixes (the HTML
    report shows it)."""


class Formatter(Protocol):
    """Turns a command's report object into the text written to stdout or --output."""

    def __call__(self, report: Any, options: RenderOptions) -> str: ...


def formatter(command: str, name: str) -> Formatter:
    """The renderer registered for a command under a --format name."""
    choices = FORMATS.get(command, {})
    if name not in choices:
        raise FormatError(f"{command} cannot write {name!r}; choose from {', '.join(choices)}")
    module = importlib.import_module(f".{choices[name]}", __package__)
    return getattr(module, f"render_{command}")
