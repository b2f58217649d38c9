"""max-wasted: bytes of dead versions (written by one step, removed or replaced by a later one)."""

from __future__ import annotations

from .base import SIZE, Budget, BudgetResult, CheckContext, Status, human, verdict, within
from .waste import wasted_contributors


def evaluate(ctx: CheckContext, limit: int) -> BudgetResult:
    wasted = ctx.report.wasted_bytes
    status = within(wasted, limit)
    message = verdict(status, "wasted bytes", human(wasted), human(limit), human(wasted - limit))
    contributors = wasted_contributors(ctx.report, ctx.top) if status is Status.FAIL else ()
    return BudgetResult("max-wasted", status, wasted, limit, message, contributors)


BUDGET = Budget("max-wasted", SIZE, "SIZE",
                "fail when more than SIZE bytes are written by one step and removed or replaced "
                "by a later one", evaluate)
