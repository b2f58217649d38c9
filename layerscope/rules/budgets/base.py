"""The budget interface: a named limit, how its value is written, and how it is judged."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from typing import Any

from ...analysis.image_report import Analysis, InspectReport, StepReport


class Status(StrEnum):
    """The outcome of one budget."""

    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"


# How a budget's limit is written; layerscope/settings/values.py parses and validates each kind.
SIZE = "size"                     # 300MB, 1.2GiB, 500kB, 123456 (bytes)
COUNT = "count"                   # a whole number >= 1
PERCENT = "percent"               # 10% (0% to 100%)
SIZE_OR_PERCENT = "size-or-percent"  # 20MB or 5%
GLOBS = "globs"                   # a list of path globs
IDS = "ids"                       # a list of advice rule IDs

BYTES, PERCENT_UNIT, COUNT_UNIT = "bytes", "percent", "count"


@dataclass(frozen=True, slots=True)
class Growth:
    """A max-growth limit: bytes or a percent of the baseline size."""

    amount: Fraction
    """Bytes, or percent when percent is True."""
    percent: bool
    """True when amount is a percent of the baseline size."""


@dataclass(frozen=True, slots=True)
class Contributor:
    """A step, layer or path that explains a budget's measured value."""

    kind: str
    """step, layer or path."""
    label: str
    """The instruction text or the path."""
    bytes: int | None
    """Bytes it contributes, when that is meaningful."""
    step: int | None = None
    """History index of the step (for steps, and for paths: the step that wrote them)."""
    detail: str = ""
    """A few words more: 'removed by step 6', '12 files', ..."""


@dataclass(frozen=True, slots=True)
class BudgetResult:
    """One budget's verdict."""

    name: str
    """The budget's key, e.g. max-size."""
    status: Status
    measured: float | int | None
    """What was measured, in unit (None when nothing could be measured)."""
    limit: Any
    """The limit as configured: an int (bytes, count), a float (percent), a list of strings."""
    message: str
    """One human sentence: the verdict with numbers."""
    contributors: tuple[Contributor, ...] = ()
    """The top steps and paths that explain the measured value (largest first)."""
    unit: str = BYTES
    """bytes, percent or count: the unit of measured (and of limit when it is a number)."""
    source: str = ""
    """Where the limit came from: a flag, a config file section, .dive-ci."""


@dataclass(frozen=True, slots=True)
class Baseline:
    """What max-growth compares against: an earlier image, or its inspect JSON."""

    ref: str
    size: int
    steps: tuple[tuple[str, int], ...]
    """(instruction, size) of the steps that made a layer, oldest first."""


@dataclass(frozen=True)
class CheckContext:
    """Everything a budget may read: the analysis and the settings that shape measurement."""

    analysis: Analysis
    top: int = 5
    """How many contributors a failure lists."""
    user: bool = False
    """max-wasted-percent is measured against the user part (layers after the base)."""
    min_wasted_to_fail: int = 0
    """max-wasted-percent passes while the wasted bytes stay below this floor."""
    baseline: Baseline | None = None

    @property
    def report(self) -> InspectReport:
        return self.analysis.report


@dataclass(frozen=True)
class Budget:
    """A budget: its key (also the flag and the config key), how its limit is written, its check."""

    name: str
    kind: str
    metavar: str
    help: str
    evaluate: Callable[[CheckContext, Any], BudgetResult] = field(repr=False)


@dataclass(frozen=True)
class CheckResult:
    """The whole check of one image."""

    ref: str
    image_id: str
    repo_tags: tuple[str, ...]
    platform: str
    size: int
    results: tuple[BudgetResult, ...]
    config_files: tuple[str, ...] = ()
    """The files the settings came from, in precedence order."""

    @property
    def failed(self) -> tuple[BudgetResult, ...]:
        return tuple(r for r in self.results if r.status is Status.FAIL)

    @property
    def passed(self) -> bool:
        return not self.failed

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status is status)


# ------------------------------------------------------------------ helpers shared by budgets


def within(measured: int | Fraction, limit: int | Fraction) -> Status:
    """Equal to the limit passes."""
    return Status.PASS if measured <= limit else Status.FAIL


def step_contributor(step: StepReport, value: int | None = None, detail: str = "") -> Contributor:
    return Contributor("step", step.instruction, step.size if value is None else value,
                       step.index, detail)


def largest_steps(report: InspectReport, top: int,
                  user_only: bool = False) -> tuple[Contributor, ...]:
    """The steps with the largest layers, largest first."""
    steps = [s for s in report.steps if not s.empty_layer and s.size > 0
             and not (user_only and s.base)]
    steps.sort(key=lambda s: (-s.size, s.index))
    return tuple(step_contributor(s) for s in steps[:top])


def percent_of(part: int, whole: int) -> Fraction:
    """Exact percentage, so a measured value equal to the limit compares equal."""
    return Fraction(100 * part, whole) if whole else Fraction(0)


def as_number(value: Fraction) -> float | int:
    """A measured or limit value for reports: ints stay ints, fractions become floats."""
    return int(value) if value.denominator == 1 else float(value)


def human(value: int | float) -> str:
    """Decimal units as `docker images` shows them: 355400000 -> '355.4 MB'."""
    import humanize

    text = humanize.naturalsize(int(value), format="%.1f")
    return text.replace(" Bytes", " B").replace(" Byte", " B")


def pct(value: Fraction | float) -> str:
    """'12.3%'; two decimals when one would round a boundary away."""
    number = float(value)
    text = f"{number:.1f}"
    if float(text) != number:
        text = f"{number:.2f}"
    return text + "%"


def verdict(status: Status, what: str, measured: str, limit: str, over: str | None = None,
            minimum: bool = False) -> str:
    """'image size 617.3 MB is over the 300.0 MB limit by 317.3 MB' and its passing twin."""
    if status is Status.PASS:
        return f"{what} {measured} is within the {limit} {'minimum' if minimum else 'limit'}"
    side = "under the" if minimum else "over the"
    tail = f" by {over}" if over else ""
    return f"{what} {measured} is {side} {limit} {'minimum' if minimum else 'limit'}{tail}"
