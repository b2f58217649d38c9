"""max-layer-size: no single layer larger than the limit."""

from __future__ import annotations

from .base import (
    SIZE,
    Budget,
    BudgetResult,
    CheckContext,
    human,
    step_contributor,
    verdict,
    within,
)


def evaluate(ctx: CheckContext, limit: int) -> BudgetResult:
    steps = [s for s in ctx.report.steps if not s.empty_layer]
    largest = max((s.size for s in steps), default=0)
    status = within(largest, limit)
    over = sorted((s for s in steps if s.size > limit), key=lambda s: (-s.size, s.index))
    message = verdict(status, "largest layer", human(largest), human(limit), human(largest - limit))
    if len(over) > 1:
        message += f" ({len(over)} layers are over)"
    contributors = tuple(step_contributor(s) for s in over[: ctx.top])
    return BudgetResult("max-layer-size", status, largest, limit, message, contributors)


BUDGET = Budget("max-layer-size", SIZE, "SIZE", "fail when any one layer is larger than SIZE",
                evaluate)
