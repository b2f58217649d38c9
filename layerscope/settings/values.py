"""Value parsers: one raw value (from TOML, a flag or .dive-ci) in, what a budget uses out."""

from __future__ import annotations

import json
import re
from fractions import Fraction
from typing import Any

from ..rules.budgets.base import COUNT, GLOBS, IDS, PERCENT, SIZE, SIZE_OR_PERCENT, Growth

BOOL, IMAGE, PATH = "bool", "image", "path"

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


GROWTH_ALLOWED = ("a percent of the baseline written with %, e.g. \"10%\", or a size with its "
                  "unit, e.g. \"10MB\" or \"10B\"")


def parse_growth(value: Any) -> Growth:
    """"10%" -> 10 percent; "10MB" -> 10,000,000 bytes. A bare number is refused: 10 could mean
    either, and reading it as bytes made a typo pass every check."""
    if isinstance(value, str) and value.strip().endswith("%"):
        return Growth(parse_percent(value, upper=None), percent=True)
    text = str(value).strip() if isinstance(value, int | float | str) else ""
    bare = SIZE_RE.fullmatch(text)
    if not isinstance(value, bool) and bare and not bare.group(2):
        raise Invalid(f"a bare number could be bytes or a percent; write \"{text}%\" (of the "
                      f"baseline) or \"{text}MB\" / \"{text}B\"")
    try:
        return Growth(Fraction(parse_size(value)), percent=False)
    except Invalid:
        raise Invalid(f"expected {GROWTH_ALLOWED}") from None


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


def parse_rule_ids(value: Any) -> list[str]:
    """parse_ids, and every ID must name a rule: a typo would otherwise never fire."""
    from ..rules import registry, unknown_ids

    ids = parse_ids(value)
    unknown = unknown_ids(ids)
    if unknown:
        raise Invalid(f"no rule {', '.join(unknown)}; rules: {', '.join(registry())}")
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
    """Validate one raw value into what the budget uses, by the kind of value its key takes."""
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
        return parse_rule_ids(value)
    if kind == BOOL:
        return parse_bool(value)
    if kind == IMAGE:
        return parse_text(value, "an image reference")
    if kind == PATH:
        return parse_text(value, "a file path")
    raise AssertionError(kind)


def shown(value: Any) -> str:
    """A raw value as a problem line quotes it: as JSON when it can be, so strings are quoted."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)
