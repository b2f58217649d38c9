"""Pieces every check renderer shares: values in their unit, the headline, contributor lines."""

from __future__ import annotations

from ..rules.budgets.base import (
    BYTES,
    COUNT_UNIT,
    PERCENT_UNIT,
    BudgetResult,
    CheckResult,
    Contributor,
    Status,
)
from .units import shorten, signed_size, size

STATUS_WORD = {Status.PASS: "PASS", Status.FAIL: "FAIL", Status.SKIP: "SKIP"}


def value_text(value, unit: str, signed: bool = False) -> str:
    """A measured value or limit as people read it."""
    if value is None:
        return "-"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if unit == BYTES:
        return signed_size(int(value)) if signed else size(int(value))
    if unit == PERCENT_UNIT:
        text = f"{float(value):.1f}"
        if float(text) != float(value):
            text = f"{float(value):.2f}"
        return f"{'+' if signed and value >= 0 else ''}{text}%"
    if unit == COUNT_UNIT:
        return str(value)
    return str(value)


def measured_text(result: BudgetResult) -> str:
    return value_text(result.measured, result.unit, signed=result.name == "max-growth")


def limit_text(result: BudgetResult) -> str:
    if result.name == "min-efficiency":
        return "≥ " + value_text(result.limit, result.unit)
    if isinstance(result.limit, list):
        return value_text(result.limit, result.unit)
    return "≤ " + value_text(result.limit, result.unit)


def image_name(result: CheckResult) -> str:
    return result.repo_tags[0] if result.repo_tags else result.ref


def headline(result: CheckResult) -> str:
    """'FAIL: 1 of 3 budgets failed (1 passed, 1 skipped)' or 'PASS: 2 of 2 budgets passed'."""
    total = len(result.results)
    if total == 0:
        return "PASS: no budgets set, nothing to check (see docs/check.md)"
    failed, passed, skipped = (result.count(s) for s in (Status.FAIL, Status.PASS, Status.SKIP))
    noun = "budget" if total == 1 else "budgets"
    if failed:
        text, others = f"FAIL: {failed} of {total} {noun} failed", [(passed, "passed")]
    else:
        text, others = f"PASS: {passed} of {total} {noun} passed", []
    others.append((skipped, "skipped"))
    extra = ", ".join(f"{count} {word}" for count, word in others if count)
    return f"{text} ({extra})" if extra else text


def contributor_text(item: Contributor, width: int = 70) -> str:
    """'step 3: RUN apt-get install ... (detail)' or '/var/lib/apt/lists/* (2 files) (detail)'."""
    label = shorten(item.label, width)
    if item.kind == "step" and item.step is not None:
        label = f"step {item.step}: {label}"
    if item.detail:
        label += f" ({shorten(item.detail, width)})"
    return label


def contributor_bytes(item: Contributor) -> str:
    return size(item.bytes) if item.bytes is not None else ""
