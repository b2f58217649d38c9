"""max-user-size: the layers after the base image (what this Dockerfile adds)."""

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
    size = ctx.report.user_size
    status = within(size, limit)
    message = verdict(status, "size after the base image", human(size), human(limit),
                      human(size - limit))
    failed = status is Status.FAIL
    contributors = largest_steps(ctx.report, ctx.top, user_only=True) if failed else ()
    return BudgetResult("max-user-size", status, size, limit, message, contributors)


BUDGET = Budget("max-user-size", SIZE, "SIZE",
                "fail when the layers after the base image add more than SIZE", evaluate)
