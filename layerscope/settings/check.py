"""`check` settings: one precedence order, every value validated once, all problems at once.

Precedence, lowest first: defaults (every budget off) < the config file's `check` table < its
per-image sections that match IMAGE (in file order) < `--dive-ci` rules < command-line flags.

Per-image sections live under `images`, keyed by the IMAGE argument as typed or by a glob over
it: `[check.images."size:v1"]`, `[tool.layerscope.check.images."size:*"]`. files.py says which
config file is read; docs/check.md has the rest.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..rules.budgets import BUDGETS
from ..rules.budgets.base import SIZE
from .files import ConfigTable, config_table
from .precedence import PrecedenceLevel
from .values import BOOL, IMAGE, PATH, Invalid, parse_value, shown


@dataclass(frozen=True)
class Setting:
    """A setting that is not itself a budget but shapes how budgets measure."""

    name: str
    """The config key; the flag is --NAME."""
    kind: str
    """How its value is written (a kind parse_value knows)."""
    metavar: str | None
    """The flag's argument name; None for a switch."""
    help: str
    """One line for --help."""


SETTINGS: dict[str, Setting] = {s.name: s for s in (
    Setting("user", BOOL, None, "max-wasted-percent measures the layers after the base image "
                                "(dive's highestUserWastedPercent) instead of the whole image"),
    Setting("min-wasted-to-fail", SIZE, "SIZE",
            "max-wasted-percent passes while wasted bytes stay below SIZE (default 0)"),
    Setting("baseline", IMAGE, "IMAGE", "the image max-growth compares against"),
    Setting("baseline-json", PATH, "FILE",
            "the `inspect --format json` report max-growth compares against"),
)}

KEYS = {**{name: b.kind for name, b in BUDGETS.items()},
        **{name: s.kind for name, s in SETTINGS.items()}}
"""Every key a check table may hold (besides `images`), with how its value is written."""


@dataclass(frozen=True)
class CheckSettings:
    """The resolved settings: budget limits (absent = off) and the measuring options."""

    limits: dict[str, Any] = field(default_factory=dict)
    """Budget key -> its validated limit, for the budgets that are on."""
    user: bool = False
    """max-wasted-percent measures only the layers after the base image."""
    min_wasted_to_fail: int = 0
    """max-wasted-percent passes while wasted bytes stay below this."""
    baseline: str | None = None
    """The image max-growth compares against."""
    baseline_json: str | None = None
    """The inspect JSON report max-growth compares against."""
    sources: dict[str, str] = field(default_factory=dict)
    """key -> where its value came from (a flag, a file section, .dive-ci)."""
    files: tuple[str, ...] = ()
    """The files read, lowest precedence first."""


def load_settings(image: str, flags: dict[str, Any], config: str | None = None,
                  dive_ci: str | None = None, cwd: Path | None = None) -> CheckSettings:
    """Resolve defaults < file < --dive-ci < flags; raise one ConfigError listing every problem."""
    cwd = cwd or Path.cwd()
    levels: list[PrecedenceLevel] = []
    found = config_table("check", config, cwd)
    if found is not None:
        levels.append(read_check_table(found, image))
    if dive_ci is not None:
        from .dive_ci import read_dive_ci  # only then is yaml imported

        levels.append(read_dive_ci(cwd / dive_ci))
    levels.append(flag_level(flags))

    problems = [problem for level in levels for problem in level.problems]
    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for level in levels:
        for key, value, _raw, origin in level.values:
            merged[key] = value
            sources[key] = origin
    if merged.get("baseline") and merged.get("baseline-json"):
        problems.append(f"baseline ({sources['baseline']}) and baseline-json "
                        f"({sources['baseline-json']}): give one baseline, not both")
    if "max-growth" in merged and not (merged.get("baseline") or merged.get("baseline-json")):
        problems.append(f"max-growth ({sources['max-growth']}): needs a baseline; give "
                        "--baseline IMAGE or --baseline-json FILE")
    if problems:
        raise ConfigError(problems, hint="docs/check.md lists every setting and how to write it")
    return CheckSettings(
        limits={key: merged[key] for key in BUDGETS if key in merged},
        user=merged.get("user", False),
        min_wasted_to_fail=merged.get("min-wasted-to-fail", 0),
        baseline=merged.get("baseline"),
        baseline_json=merged.get("baseline-json"),
        sources=sources,
        files=tuple(f for level in levels for f in level.files),
    )


def read_check_table(found: ConfigTable, image: str) -> PrecedenceLevel:
    """The check table of one config file and its per-image sections that match image."""
    level = PrecedenceLevel(files=[found.display])
    name, table_name, table = found.display, found.name, found.table
    if found.problem is not None or table is None:
        level.problems.append(found.problem or f"{name}: has no [{table_name}] table")
        return level
    base_dir = found.path.parent
    for key, raw in table.items():
        if key != "images":
            _add(level, key, raw, f"{name} [{table_name}]", base_dir)
    images = table.get("images", {})
    if not isinstance(images, dict):
        level.problems.append(f"images ({name} [{table_name}]): expected tables keyed by image, "
                              f"e.g. [{table_name}.images.\"app:latest\"]")
        return level
    for pattern, section in images.items():
        origin = f'{name} [{table_name}.images."{pattern}"]'
        if not isinstance(section, dict):
            level.problems.append(f"{origin}: expected a table of settings")
            continue
        matches = fnmatch.fnmatchcase(image, pattern)
        for key, raw in section.items():
            if key == "images":
                level.problems.append(f"images ({origin}): image sections do not nest")
                continue
            # validate every section, so a typo in another image's section is caught too
            probe = PrecedenceLevel()
            _add(probe, key, raw, origin, base_dir)
            level.problems.extend(probe.problems)
            if matches:
                level.values.extend(probe.values)
    return level


def flag_level(flags: dict[str, Any]) -> PrecedenceLevel:
    """Command-line values (None = not given), validated like file values."""
    level = PrecedenceLevel()
    for key, raw in flags.items():
        if raw is not None:
            _add(level, key, raw, f"--{key}")
    return level


def _add(level: PrecedenceLevel, key: str, raw: Any, origin: str,
         base_dir: Path | None = None) -> None:
    kind = KEYS.get(key)
    if kind is None:
        level.problems.append(f"{key} ({origin}): unknown setting{_suggest(key)}; allowed: "
                              + ", ".join(KEYS))
        return
    try:
        value = parse_value(kind, raw)
    except Invalid as problem:
        level.problems.append(f"{key} = {shown(raw)} ({origin}): {problem}")
        return
    if kind == PATH and base_dir is not None:
        value = str(base_dir / value)
    level.values.append((key, value, raw, origin))


def _suggest(key: str) -> str:
    import difflib

    close = difflib.get_close_matches(key, list(KEYS) + ["images"], n=1)
    return f" (did you mean {close[0]}?)" if close else ""
