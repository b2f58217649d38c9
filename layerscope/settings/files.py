"""Config files: which one applies, and one command's table from it. `check` and `advise` both
read their tables here, so both find the same file the same way and name problems alike.

Without --config, the current directory is searched: the first of CONFIG_FILES that has the
command's table is read (a file that cannot be read ends the search, so its problem is reported
rather than skipped). The table is `[tool.layerscope.COMMAND]`, or in any file but pyproject.toml
also `[COMMAND]`."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONFIG_FILES = (".layerscope.toml", "pyproject.toml")
"""Searched in this order in the current directory; the first with the command's table is used."""


@dataclass(frozen=True)
class ConfigTable:
    """One command's table from one config file, or why it could not be read."""

    path: Path
    """The file."""
    display: str
    """The file as messages name it: as given to --config, or its name when found in cwd."""
    name: str
    """The table as the file writes it, e.g. check or tool.layerscope.check."""
    table: dict[str, Any] | None = None
    """The table; None when the file has none or could not be read."""
    problem: str | None = None
    """Why the file or the table could not be used."""


def config_table(command: str, config: str | None = None, cwd: Path | None = None
                 ) -> ConfigTable | None:
    """The table for command from --config FILE (always returned, table or not), or else from the
    first file in cwd that has one; None when no file applies."""
    cwd = cwd or Path.cwd()
    if config is not None:
        return _read_table(cwd / config, config, command)
    for name in CONFIG_FILES:
        path = cwd / name
        if path.is_file():
            found = _read_table(path, name, command)
            if found.table is not None or found.problem is not None:
                return found
    return None


def _read_table(path: Path, display: str, command: str) -> ConfigTable:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problem = f"--config {display}: no such file"
    except (OSError, UnicodeDecodeError) as error:
        problem = f"{display}: cannot be read: {getattr(error, 'strerror', None) or error}"
    except tomllib.TOMLDecodeError as error:
        problem = f"{display}: not valid TOML: {error}"
    else:
        table, name = _lookup(document, path, command)
        if table is not None and not isinstance(table, dict):
            return ConfigTable(path, display, name, problem=f"{display}: [{name}] must be a table")
        return ConfigTable(path, display, name, table)
    return ConfigTable(path, display, _lookup({}, path, command)[1], problem=problem)


def _lookup(document: dict[str, Any], path: Path, command: str) -> tuple[Any, str]:
    tool = document.get("tool")
    if isinstance(tool, dict) and isinstance(tool.get("layerscope"), dict) \
            and command in tool["layerscope"]:
        return tool["layerscope"][command], f"tool.layerscope.{command}"
    if path.name != "pyproject.toml" and command in document:
        return document[command], command
    return None, f"tool.layerscope.{command}" if path.name == "pyproject.toml" else command
