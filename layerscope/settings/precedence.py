"""One level of check's precedence order (defaults < file < .dive-ci < flags), as read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PrecedenceLevel:
    """The values one place (a config file, a .dive-ci, the flags) sets, and its problems."""

    values: list[tuple[str, Any, Any, str]] = field(default_factory=list)
    """(key, parsed value, raw value, origin), in the order they were read."""
    problems: list[str] = field(default_factory=list)
    """One line per value or file that could not be used."""
    files: list[str] = field(default_factory=list)
    """The files this level read, as messages name them."""
