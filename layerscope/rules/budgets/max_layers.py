"""max-layers: how many layers the image stacks."""

from __future__ import annotations

from .base import (
    COUNT,
    COUNT_UNIT,
    Budget,
    BudgetResult,
    CheckContext,
    Status,
    step_contributor,
    verdict,
    within,
)


def evaluate(ctx: CheckContext, limit: int) -> BudgetResult:
    count = len(ctx.report.layers)
    status = within(count, limit)
    message = verdict(status, "layer count", str(count), str(limit), str(count - limit))
    contributors = ()
    if status is Status.FAIL:
        # the image's own layers, smallest first: the cheapest steps to fold into a neighbour
        own = [s for s in ctx.report.steps if not s.empty_layer and not s.base]
        own.sort(key=lambda s: (s.size, s.index))
        contributors = tuple(step_contributor(s, detail="layer after the base")
                             for s in own[: ctx.top])
    return BudgetResult("max-layers", status, count, limit, message, contributors, COUNT_UNIT)


BUDGET = Budget("max-layers", COUNT, "N", "fail when the image has more than N layers", evaluate)
