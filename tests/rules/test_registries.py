"""The rule registries are hand-kept tuples: a rule or budget module left out of them fails here."""

from __future__ import annotations

import importlib
import pkgutil

import layerscope.rules
import layerscope.rules.budgets
from layerscope.rules import registry
from layerscope.rules.budgets import BUDGETS


def modules_defining(package, name):
    modules = (importlib.import_module(f"{package.__name__}.{info.name}")
               for info in pkgutil.iter_modules(package.__path__))
    return [getattr(module, name) for module in modules if hasattr(module, name)]


def test_every_advice_rule_module_is_registered_in_id_order():
    rules = modules_defining(layerscope.rules, "RULE")
    assert list(registry().values()) == sorted(rules, key=lambda rule: rule.id)


def test_every_budget_module_is_registered():
    budgets = modules_defining(layerscope.rules.budgets, "BUDGET")
    assert sorted(BUDGETS) == sorted(budget.name for budget in budgets)
