"""max-size: the whole image, as `docker images` counts it."""

from __future__ import annotations

from .base import (
    SIZE,
    Budget,
    BudgetResult,
    CheckContext,
    Status,
    human,
    largest_steps,
    verdict,
    within,
)


def evaluate(ctx: CheckContext, limit: int) -> BudgetResult:
    size = ctx.report.size
    status = within(size, limit)
    message = verdict(status, "image size", human(size), human(limit), human(size - limit))
    contributors = largest_steps(ctx.report, ctx.top) if status is Status.FAIL else ()
    return BudgetResult("max-size", status, size, limit, message, contributors)


BUDGET = Budget("max-size", SIZE, "SIZE", "fail when the image is larger than SIZE", evaluate)
