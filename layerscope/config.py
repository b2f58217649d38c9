"""`check` settings: one precedence order, every value validated once, all problems at once.

Precedence, lowest first: defaults (every budget off) < the config file's `check` table < its
per-image sections that match IMAGE (in file order) < `--dive-ci` rules < command-line flags.

The config file is `--config FILE`, or else the first of `.layerscope.toml` (table `[check]`) and
`pyproject.toml` (table `[tool.layerscope.check]`) found in the current directory. Per-image
sections live under `images`, keyed by the IMAGE argument as typed or by a glob over it:
`[check.images."size:v1"]`, `[tool.layerscope.check.images."size:*"]`. docs/check.md has the rest.
"""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .rules.budgets import BUDGETS
from .rules.budgets.base import COUNT, GLOBS, IDS, PERCENT, SIZE, SIZE_OR_PERCENT, Growth

BOOL, IMAGE, PATH = "bool", "image", "path"

CONFIG_FILES = (".layerscope.toml", "pyproject.toml")
"""Searched in this order in the current directory; the first that has a check table is used."""


@dataclass(frozen=True)
class Setting:
    """A setting that is not itself a budget but shapes how budgets measure."""

    name: str
    kind: str
    metavar: str | None
    help: str


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
    user: bool = False
    min_wasted_to_fail: int = 0
    baseline: str | None = None
    baseline_json: str | None = None
    sources: dict[str, str] = field(default_factory=dict)
    """key -> where its value came from (a flag, a file section, .dive-ci)."""
    files: tuple[str, ...] = ()
    """The files read, lowest precedence first."""


# ------------------------------------------------------------------------------ value parsers

DECIMAL = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9,
           "gb": 10**9, "t": 10**12, "tb": 10**12}
BINARY = {"kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
SIZE_RE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*([A-Za-z]*)")
SIZE_ALLOWED = ("bytes, or a number with a unit: B, kB, MB, GB, TB (1000s) or KiB, MiB, GiB, TiB "
                "(1024s), e.g. 300MB, 1.2GiB, 500kB")
PERCENT_ALLOWED = "a percent from 0% to 100%, written with %, e.g. \"10%\""


class Invalid(ValueError):
    """A value that cannot be used: what is wrong and what is allowed."""


def parse_size(value: Any) -> int:
    """300MB -> 300000000, 1.2GiB -> 1288490188, 500kB -> 500000, 42 -> 42 (whole bytes)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Invalid(f"expected {SIZE_ALLOWED}")
    if isinstance(value, int):
        if value < 0:
            raise Invalid(f"must not be negative; expected {SIZE_ALLOWED}")
        return value
    match = SIZE_RE.fullmatch(value.strip())
    if not match:
        raise Invalid(f"not a size; expected {SIZE_ALLOWED}")
    number, unit = Fraction(match.group(1)), match.group(2).lower()
    factor = DECIMAL.get(unit) or BINARY.get(unit)
    if factor is None:
        raise Invalid(f"unknown unit {match.group(2)!r}; expected {SIZE_ALLOWED}")
    if factor == 1 and number.denominator != 1:
        raise Invalid("bytes must be a whole number")
    return int(number * factor)  # rounded down to whole bytes


def parse_percent(value: Any, upper: int | None = 100) -> Fraction:
    """"10%" -> 10; "12.5%" -> 25/2. Plain numbers are refused: 0.9 and 90 would both be guesses."""
    allowed = PERCENT_ALLOWED if upper is not None else "a percent written with %, e.g. \"10%\""
    if not isinstance(value, str) or not value.strip().endswith("%"):
        raise Invalid(f"write percents with a % sign; expected {allowed}")
    try:
        number = Fraction(value.strip()[:-1].strip())
    except (ValueError, ZeroDivisionError):
        raise Invalid(f"not a percent; expected {allowed}") from None
    if number < 0 or (upper is not None and number > upper):
        raise Invalid(f"out of range; expected {allowed}")
    return number


def parse_count(value: Any) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Invalid("expected a whole number of at least 1")
    return value


def parse_growth(value: Any) -> Growth:
    if isinstance(value, str) and value.strip().endswith("%"):
        return Growth(parse_percent(value, upper=None), percent=True)
    try:
        return Growth(Fraction(parse_size(value)), percent=False)
    except Invalid:
        raise Invalid(f"expected a size ({SIZE_ALLOWED}) or a percent of the baseline, "
                      "e.g. \"5%\"") from None


def parse_strings(value: Any, what: str, example: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(
            isinstance(item, str) and item.strip() for item in value):
        raise Invalid(f"expected a non-empty list of {what}, e.g. {example}")
    return [item.strip() for item in value]


def parse_ids(value: Any) -> list[str]:
    ids = parse_strings(value, "advice rule IDs", '["LS001"]')
    bad = [item for item in ids if not re.fullmatch(r"[A-Za-z0-9_.-]+", item)]
    if bad:
        raise Invalid(f"{bad[0]!r} is not a rule ID; expected letters, digits, '-', '_' or '.'")
    return ids


def parse_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid("expected true or false")
    return value


def parse_text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"expected {what} as a non-empty string")
    return value.strip()


def parse_value(kind: str, value: Any) -> Any:
    """Validate one raw value (from TOML, a flag or .dive-ci) into what the budget uses."""
    if kind == SIZE:
        return parse_size(value)
    if kind == COUNT:
        return parse_count(value)
    if kind == PERCENT:
        return parse_percent(value)
    if kind == SIZE_OR_PERCENT:
        return parse_growth(value)
    if kind == GLOBS:
        return parse_strings(value, "path globs", '["/var/lib/apt/lists/*", "**/.git"]')
    if kind == IDS:
        return parse_ids(value)
    if kind == BOOL:
        return parse_bool(value)
    if kind == IMAGE:
        return parse_text(value, "an image reference")
    if kind == PATH:
        return parse_text(value, "a file path")
    raise AssertionError(kind)


# ------------------------------------------------------------------------------ layers


@dataclass
class _Layer:
    """Raw values from one place, in precedence order, and the problems found reading them."""

    values: list[tuple[str, Any, Any, str]] = field(default_factory=list)
    """(key, parsed value, raw value, origin)."""
    problems: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def _shown(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def _suggest(key: str) -> str:
    import difflib

    close = difflib.get_close_matches(key, list(KEYS) + ["images"], n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _add(layer: _Layer, key: str, raw: Any, origin: str, base_dir: Path | None = None) -> None:
    kind = KEYS.get(key)
    if kind is None:
        layer.problems.append(f"{key} ({origin}): unknown setting{_suggest(key)}; allowed: "
                              + ", ".join(KEYS))
        return
    try:
        value = parse_value(kind, raw)
    except Invalid as problem:
        layer.problems.append(f"{key} = {_shown(raw)} ({origin}): {problem}")
        return
    if kind == PATH and base_dir is not None:
        value = str(base_dir / value)
    layer.values.append((key, value, raw, origin))


def _check_table(document: dict, path: Path) -> tuple[dict | None, str]:
    tool = document.get("tool")
    if isinstance(tool, dict) and isinstance(tool.get("layerscope"), dict) \
            and "check" in tool["layerscope"]:
        return tool["layerscope"]["check"], "tool.layerscope.check"
    if path.name != "pyproject.toml" and "check" in document:
        return document["check"], "check"
    return None, "tool.layerscope.check" if path.name == "pyproject.toml" else "check"


def find_config(cwd: Path) -> Path | None:
    """The config file in cwd: .layerscope.toml, else a pyproject.toml with a check table."""
    for name in CONFIG_FILES:
        candidate = cwd / name
        if candidate.is_file():
            if name == "pyproject.toml":
                try:
                    document = tomllib.loads(candidate.read_text(encoding="utf-8"))
                except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                    return candidate  # read_config reports the problem
                if _check_table(document, candidate)[0] is None:
                    continue
            return candidate
    return None


def read_config(path: Path, image: str, display: str | None = None) -> _Layer:
    """The check table of one TOML file and the per-image sections that match image."""
    layer = _Layer(files=[display or str(path)])
    name = display or str(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        layer.problems.append(f"--config {name}: no such file")
        return layer
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or error
        layer.problems.append(f"{name}: cannot be read: {reason}")
        return layer
    except tomllib.TOMLDecodeError as error:
        layer.problems.append(f"{name}: not valid TOML: {error}")
        return layer
    table, table_name = _check_table(document, path)
    if table is None:
        layer.problems.append(f"{name}: has no [{table_name}] table")
        return layer
    if not isinstance(table, dict):
        layer.problems.append(f"{name}: [{table_name}] must be a table")
        return layer
    base_dir = path.parent
    for key, raw in table.items():
        if key != "images":
            _add(layer, key, raw, f"{name} [{table_name}]", base_dir)
    images = table.get("images", {})
    if not isinstance(images, dict):
        layer.problems.append(f"images ({name} [{table_name}]): expected tables keyed by image, "
                              f"e.g. [{table_name}.images.\"app:latest\"]")
        return layer
    for pattern, section in images.items():
        origin = f'{name} [{table_name}.images."{pattern}"]'
        if not isinstance(section, dict):
            layer.problems.append(f"{origin}: expected a table of settings")
            continue
        matches = fnmatch.fnmatchcase(image, pattern)
        for key, raw in section.items():
            if key == "images":
                layer.problems.append(f"images ({origin}): image sections do not nest")
                continue
            # validate every section, so a typo in another image's section is caught too
            probe = _Layer()
            _add(probe, key, raw, origin, base_dir)
            layer.problems.extend(probe.problems)
            if matches:
                layer.values.extend(probe.values)
    return layer


# ------------------------------------------------------------------------------ .dive-ci

DIVE_RULES = {
    # dive rule: (layerscope key, how dive writes it)
    "lowestEfficiency": ("min-efficiency", "ratio"),
    "highestWastedBytes": ("max-wasted", "size"),
    "highestUserWastedPercent": ("max-wasted-percent", "ratio"),
}


def _yaml_scalar(text: str) -> str:
    text = re.sub(r"\s+#.*$", "", text).strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    return text


def read_dive_ci(path: Path) -> _Layer:
    """dive's .dive-ci: the `rules:` mapping of simple `key: value` lines, as layerscope budgets.

    lowestEfficiency (ratio) -> min-efficiency; highestWastedBytes -> max-wasted;
    highestUserWastedPercent (ratio) -> max-wasted-percent with user = true. "disabled" skips."""
    name = str(path)
    layer = _Layer(files=[name])
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        layer.problems.append(f"--dive-ci {name}: no such file")
        return layer
    except (OSError, UnicodeDecodeError) as error:
        layer.problems.append(f"--dive-ci {name}: cannot be read: "
                              f"{getattr(error, 'strerror', None) or error}")
        return layer
    in_rules = False
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indented = line[0] in " \t"
        key, colon, rest = line.strip().partition(":")
        if not indented:
            in_rules = key.strip() == "rules" and not _yaml_scalar(rest)
            continue
        if not in_rules:
            continue
        origin = f"{name} line {number}"
        key, raw = key.strip().strip("'\""), _yaml_scalar(rest)
        if not colon:
            layer.problems.append(f"{origin}: expected `key: value`")
            continue
        if key not in DIVE_RULES:
            layer.problems.append(f"rules.{key} ({origin}): not a dive CI rule; allowed: "
                                  + ", ".join(DIVE_RULES))
            continue
        if raw.lower() == "disabled":
            continue
        target, written = DIVE_RULES[key]
        try:
            if written == "ratio":
                ratio = Fraction(raw)
                if not 0 <= ratio <= 1:
                    raise ValueError
                value: Any = ratio * 100
            else:
                value = parse_size(raw)
        except (ValueError, ZeroDivisionError, Invalid):
            allowed = ("a ratio from 0 to 1, e.g. 0.9" if written == "ratio"
                       else f"{SIZE_ALLOWED}, or disabled")
            layer.problems.append(f"rules.{key} = {_shown(raw)} ({origin}): expected {allowed}")
            continue
        source = f"{name} rules.{key}"
        layer.values.append((target, value, raw, source))
        if key == "highestUserWastedPercent":
            layer.values.append(("user", True, True, source))
    return layer


# ------------------------------------------------------------------------------ resolving


def flag_layer(flags: dict[str, Any]) -> _Layer:
    """Command-line values (None = not given), validated like file values."""
    layer = _Layer()
    for key, raw in flags.items():
        if raw is not None:
            _add(layer, key, raw, f"--{key}")
    return layer


def load_settings(image: str, flags: dict[str, Any], config: str | None = None,
                  dive_ci: str | None = None, cwd: Path | None = None) -> CheckSettings:
    """Resolve defaults < file < --dive-ci < flags; raise one ConfigError listing every problem."""
    cwd = cwd or Path.cwd()
    layers: list[_Layer] = []
    if config is not None:
        layers.append(read_config(cwd / config, image, display=config))
    else:
        found = find_config(cwd)
        if found is not None:
            layers.append(read_config(found, image, display=found.name))
    if dive_ci is not None:
        layers.append(read_dive_ci(cwd / dive_ci))
    layers.append(flag_layer(flags))

    problems = [problem for layer in layers for problem in layer.problems]
    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for layer in layers:
        for key, value, _raw, origin in layer.values:
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
        files=tuple(f for layer in layers for f in layer.files),
    )
