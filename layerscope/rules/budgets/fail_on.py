"""fail-on: advice rule IDs that fail the check when they fire.

The advice rules do not exist yet. The IDs are accepted and validated as a list of strings, and
the budget reports SKIP. The seam: when rules/advice provides `findings(analysis) -> [Finding]`
(each with a rule ID, bytes and a message), this budget fails with the findings whose ID is
listed, as contributors."""

from __future__ import annotations

from .base import IDS, Budget, BudgetResult, CheckContext, Status


def evaluate(ctx: CheckContext, limit: list[str]) -> BudgetResult:
    return BudgetResult("fail-on", Status.SKIP, None, list(limit),
                        f"no advice rules yet; {', '.join(limit)} not evaluated", unit="count")


BUDGET = Budget("fail-on", IDS, "ID[,ID...]",
                "fail when any of these advice rules fires (not evaluated yet: no advice rules)",
                evaluate)
