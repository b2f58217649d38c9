"""max-wasted-percent: wasted bytes as a share of the image (or, with --user, of the user part).

Passes while the wasted bytes stay below min-wasted-to-fail, so a small image is not failed for
a few kilobytes."""

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
    human,
    pct,
    percent_of,
    verdict,
    within,
)
from .waste import wasted_contributors


def evaluate(ctx: CheckContext, limit: Fraction) -> BudgetResult:
    report = ctx.report
    if ctx.user:
        wasted, whole = report.user_wasted_bytes, report.user_size
        what = "wasted share of the user part"
    else:
        wasted, whole, what = report.wasted_bytes, report.size, "wasted share of the image"
    measured = percent_of(wasted, whole)
    status = within(measured, limit)
    message = verdict(status, what, f"{pct(measured)} ({human(wasted)})", pct(limit))
    if status is Status.FAIL and wasted < ctx.min_wasted_to_fail:
        status = Status.PASS
        message = (f"{what} {pct(measured)} is over the {pct(limit)} limit, but {human(wasted)} "
                   f"is below the {human(ctx.min_wasted_to_fail)} min-wasted-to-fail floor")
    contributors = wasted_contributors(report, ctx.top, ctx.user) if status is Status.FAIL else ()
    return BudgetResult("max-wasted-percent", status, as_number(measured), as_number(limit),
                        message, contributors, PERCENT_UNIT)


BUDGET = Budget("max-wasted-percent", PERCENT, "PCT",
                "fail when wasted bytes exceed PCT of the image (of the layers after the base "
                "with --user)", evaluate)
