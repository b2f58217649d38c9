"""min-efficiency: dive's efficiency score, for teams migrating from dive."""

from __future__ import annotations

from fractions import Fraction

from .base import (
    PERCENT,
    PERCENT_UNIT,
    Budget,
    BudgetResult,
    CheckContext,
    Status,
    as_number,
    pct,
    verdict,
)
from .waste import wasted_contributors


def evaluate(ctx: CheckContext, limit: Fraction) -> BudgetResult:
    measured = Fraction(repr(ctx.report.efficiency)) * 100  # 0.3 is 30%, exactly
    status = Status.PASS if measured >= limit else Status.FAIL
    message = verdict(status, "efficiency (dive's score)", pct(measured), pct(limit), minimum=True)
    contributors = wasted_contributors(ctx.report, ctx.top) if status is Status.FAIL else ()
    return BudgetResult("min-efficiency", status, round(float(measured), 4), as_number(limit),
                        message, contributors, PERCENT_UNIT)


BUDGET = Budget("min-efficiency", PERCENT, "PCT",
                "fail when dive's efficiency score is below PCT", evaluate)
