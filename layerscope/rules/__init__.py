"""Rules that judge an analysed image: advice rules (one module each, LSnnn_*.py, listed in
_rules in ID order) and budget checks (budgets/, listed in BUDGETS in report order)."""

from __future__ import annotations

from functools import cache

from ..analysis.image_report import Analysis
from .base import Finding, Rule, RuleContext, RuleError, RuleOptions

__all__ = ["Finding", "Rule", "RuleContext", "RuleError", "RuleOptions", "registry", "run_rules",
           "run_rules_in"]


@cache
def _rules() -> tuple[Rule, ...]:
    # imported on first use: the rule modules pull in package and step analysis that building
    # check's flags (which imports budgets, and so this package) has no use for
    from . import (
        ls001_cleanup_later,
        ls002_copied_then_deleted,
        ls003_metadata_only,
        ls004_apt_lists,
        ls005_caches,
        ls006_install_recommends,
        ls007_toolchain,
        ls008_churn,
    )

    return tuple(module.RULE for module in (
        ls001_cleanup_later, ls002_copied_then_deleted, ls003_metadata_only, ls004_apt_lists,
        ls005_caches, ls006_install_recommends, ls007_toolchain, ls008_churn))


def registry() -> dict[str, Rule]:
    """Rule ID -> rule, in ID order."""
    return {rule.id: rule for rule in _rules()}


def unknown_ids(ids) -> list[str]:
    """The IDs of ids that name no rule."""
    known = registry()
    return [i for i in ids if i.upper() not in known]


def run_rules(analysis: Analysis, options: RuleOptions | None = None) -> tuple[Finding, ...]:
    """Every finding of every rule not ignored: user findings by saving (largest first), then the
    base image's."""
    return run_rules_in(RuleContext(analysis, options or RuleOptions()))


def run_rules_in(context: RuleContext) -> tuple[Finding, ...]:
    """run_rules in a context the caller keeps, to reuse what the rules computed once (the
    package history)."""
    ignored = {i.upper() for i in context.options.ignore}
    findings = [finding for rule in _rules() if rule.id not in ignored
                for finding in rule.check(context)]
    return tuple(sorted(findings, key=lambda f: (f.base, -(f.estimated_saving_bytes or 0),
                                                 f.rule, f.steps)))
