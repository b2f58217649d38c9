"""Budget checks. BUDGETS drives the `check` flags, the config keys, the docs and the run order."""

from __future__ import annotations

from typing import Any

from ...analysis.image_report import Analysis
from . import (
    fail_on,
    forbid_paths,
    max_growth,
    max_layer_size,
    max_layers,
    max_size,
    max_user_size,
    max_wasted,
    max_wasted_percent,
    min_efficiency,
)
from .base import Baseline, Budget, BudgetResult, CheckContext, CheckResult, Status

BUDGETS: dict[str, Budget] = {module.BUDGET.name: module.BUDGET for module in (
    max_size, max_user_size, max_layer_size, max_layers, max_wasted, max_wasted_percent,
    min_efficiency, max_growth, forbid_paths, fail_on)}
"""Budget key (the flag is --KEY, the config key is KEY) -> budget, in report order."""

__all__ = ["BUDGETS", "Baseline", "Budget", "BudgetResult", "CheckContext", "CheckResult",
           "Status", "run_budgets"]


def run_budgets(analysis: Analysis, limits: dict[str, Any], context: CheckContext | None = None,
                sources: dict[str, str] | None = None,
                config_files: tuple[str, ...] = ()) -> CheckResult:
    """Judge every budget that has a limit (omitted budgets are off), in registry order."""
    context = context or CheckContext(analysis)
    sources = sources or {}
    results = []
    for name, budget in BUDGETS.items():
        if name in limits and limits[name] is not None:
            result = budget.evaluate(context, limits[name])
            if name in sources:
                result = _with_source(result, sources[name])
            results.append(result)
    report = analysis.report
    return CheckResult(report.ref, report.image_id, report.repo_tags, report.platform,
                       report.size, tuple(results), config_files)


def _with_source(result: BudgetResult, source: str) -> BudgetResult:
    from dataclasses import replace

    return replace(result, source=source)
