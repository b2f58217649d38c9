"""fail-on: advice rule IDs that fail the check when they fire on the image's own steps.

Findings about bytes the base image owns never fail the check: the team cannot fix them in
this Dockerfile."""

from __future__ import annotations

from .base import IDS, Budget, BudgetResult, CheckContext, Contributor, Status


def evaluate(ctx: CheckContext, limit: list[str]) -> BudgetResult:
    from .. import RuleError, registry, run_rules, unknown_ids

    unknown = unknown_ids(limit)
    if unknown:
        # settings refuse these before anything is read; a caller that skips them gets the error
        raise RuleError(f"fail-on: no rule {', '.join(unknown)}",
                        hint="rules: " + ", ".join(registry()))
    wanted = {rule_id.upper() for rule_id in limit}
    fired = [f for f in run_rules(ctx.analysis) if f.rule in wanted and not f.base]
    listed = ", ".join(sorted(wanted))
    if not fired:
        return BudgetResult("fail-on", Status.PASS, 0, list(limit),
                            f"none of {listed} fired", unit="count")
    contributors = tuple(
        Contributor("finding", f"{f.rule} {f.title}", f.estimated_saving_bytes,
                    f.steps[0] if f.steps else None, f.fix)
        for f in fired[: ctx.top])
    return BudgetResult("fail-on", Status.FAIL, len(fired), list(limit),
                        f"{len(fired)} finding(s) of {listed} fired", contributors, unit="count")


BUDGET = Budget("fail-on", IDS, "ID[,ID...]",
                "fail when any of these advice rules fires on the image's own steps", evaluate)
