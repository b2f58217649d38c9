"""Rules that judge an analysed image: advice rules (one module each, LSnnn_*.py, registered by
discovery) and budget checks (budgets/)."""

from __future__ import annotations

import importlib
import pkgutil
import re
from functools import cache

from ..analysis.image_report import Analysis
from .base import Finding, Rule, RuleContext, RuleError, RuleOptions

__all__ = ["Finding", "Rule", "RuleError", "RuleOptions", "registry", "run_rules"]

_RULE_MODULE = re.compile(r"ls\d{3}_\w+")


@cache
def _rules() -> tuple[Rule, ...]:
    rules = []
    for info in pkgutil.iter_modules(__path__):
        if _RULE_MODULE.fullmatch(info.name):
            rules.append(importlib.import_module(f".{info.name}", __name__).RULE)
    return tuple(sorted(rules, key=lambda rule: rule.id))


def registry() -> dict[str, Rule]:
    """Rule ID -> rule, built from the ls*.py modules of this package, in ID order."""
    return {rule.id: rule for rule in _rules()}


def unknown_ids(ids) -> list[str]:
    """The IDs of ids that name no rule."""
    known = registry()
    return [i for i in ids if i.upper() not in known]


def run_rules(analysis: Analysis, options: RuleOptions | None = None) -> tuple[Finding, ...]:
    """Every finding of every rule not ignored: user findings by saving (largest first), then the
    base image's."""
    options = options or RuleOptions()
    ignored = {i.upper() for i in options.ignore}
    context = RuleContext(analysis, options)
    findings = [finding for rule in _rules() if rule.id not in ignored
                for finding in rule.check(context)]
    return tuple(sorted(findings, key=lambda f: (f.base, -(f.estimated_saving_bytes or 0),
                                                 f.rule, f.steps)))
