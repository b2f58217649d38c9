"""`advise` settings: the `ignore` list of its config table, read like check's (files.py)."""

from __future__ import annotations

from pathlib import Path

from ..errors import ConfigError
from ..rules import registry, unknown_ids
from .files import config_table
from .values import Invalid, parse_ids


def advise_ignore(config: str | None = None, cwd: Path | None = None) -> list[str]:
    """`ignore` from [advise] in .layerscope.toml or [tool.layerscope.advise] in pyproject.toml
    (or --config FILE), validated: unknown keys and unknown rule IDs are errors."""
    found = config_table("advise", config, cwd)
    if found is None:
        return []
    if found.problem is not None:
        raise ConfigError([found.problem])
    if found.table is None:
        return []
    where = f"{found.display} [{found.name}]"
    problems = [f"{key} ({where}): unknown setting; allowed: ignore"
                for key in found.table if key != "ignore"]
    ids: list[str] = []
    if "ignore" in found.table:
        try:
            ids = parse_ids(found.table["ignore"])
        except Invalid as problem:
            problems.append(f"ignore ({where}): {problem}")
    problems += [f"ignore ({where}): no rule {i}; rules: " + ", ".join(registry())
                 for i in unknown_ids(ids)]
    if problems:
        raise ConfigError(problems, hint="docs/rules/README.md lists the rules")
    return ids
