"""max-growth: how much the image grew against a baseline (--baseline IMAGE or --baseline-json)."""

from __future__ import annotations

from fractions import Fraction

from ...analysis.image_report import Analysis, InspectReport
from .base import (
    BYTES,
    PERCENT_UNIT,
    SIZE_OR_PERCENT,
    Budget,
    BudgetResult,
    CheckContext,
    Contributor,
    Growth,
    Status,
    as_number,
    human,
    pct,
    percent_of,
    verdict,
    within,
)


def _signed(value: int) -> str:
    return ("+" if value >= 0 else "-") + human(abs(value))


def grown_steps(ctx: CheckContext) -> tuple[Contributor, ...]:
    """Steps that are new or larger than their counterpart in the baseline: the step with the
    same or a like instruction, in order (analysis.step_pairing), so an edited RUN's growth is
    measured against the RUN it replaced."""
    from ...analysis.step_pairing import StepSketch, align

    steps = [step for step in ctx.report.steps if not step.empty_layer]
    pairs = align([StepSketch(instruction) for instruction, _ in ctx.baseline.steps],
                  [StepSketch(step.instruction) for step in steps])
    rows = []
    for before_index, index in pairs:
        if index is None:
            continue
        step = steps[index]
        if before_index is not None:
            instruction, before = ctx.baseline.steps[before_index]
            if step.size > before:
                edited = "" if instruction == step.instruction else "edited, "
                rows.append(Contributor("step", step.instruction, step.size - before, step.index,
                                        f"{edited}grew from {human(before)} to "
                                        f"{human(step.size)}"))
        elif step.size > 0:
            rows.append(Contributor("step", step.instruction, step.size, step.index,
                                    "not in the baseline"))
    rows.sort(key=lambda c: (-(c.bytes or 0), c.step))
    return tuple(rows[: ctx.top])


def evaluate(ctx: CheckContext, limit: Growth) -> BudgetResult:
    baseline = ctx.baseline
    if baseline is None:
        return BudgetResult("max-growth", Status.SKIP, None, _limit(limit),
                            "no baseline given (--baseline IMAGE or --baseline-json FILE)",
                            unit=PERCENT_UNIT if limit.percent else BYTES)
    growth = ctx.report.size - baseline.size
    what = f"growth against {baseline.ref} ({human(baseline.size)})"
    if limit.percent:
        measured: Fraction | int = percent_of(growth, baseline.size)
        status = within(measured, limit.amount)
        message = verdict(status, what, f"{pct(measured)} ({_signed(growth)})", pct(limit.amount))
    else:
        measured = growth
        status = within(growth, limit.amount)
        message = verdict(status, what, _signed(growth), human(limit.amount),
                          human(growth - limit.amount))
    contributors = grown_steps(ctx) if status is Status.FAIL else ()
    value = as_number(Fraction(measured))
    return BudgetResult("max-growth", status, value, _limit(limit), message, contributors,
                        PERCENT_UNIT if limit.percent else BYTES)


def judge_growth(analysis: Analysis, baseline: InspectReport, limit: Growth, top: int = 5,
                 source: str = "") -> BudgetResult:
    """The max-growth verdict of analysis against an inspected baseline: `check --baseline` and
    `diff --fail-on-growth` both come here, so both say the same thing."""
    from dataclasses import replace

    from .baseline import baseline_from_report

    context = CheckContext(analysis, top=top, baseline=baseline_from_report(baseline))
    return replace(evaluate(context, limit), source=source)


def _limit(limit: Growth) -> float | int:
    return as_number(limit.amount)


BUDGET = Budget("max-growth", SIZE_OR_PERCENT, "SIZE|PCT",
                "fail when the image grew by more than SIZE (or PCT) against the baseline",
                evaluate)
