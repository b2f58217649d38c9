"""check as JSON: schema layerscope/check/v1 (docs/schema/check-v1.md)."""

from __future__ import annotations

import json

from ..rules.budgets.base import BudgetResult, CheckResult, Status
from .base import RenderOptions
from .json_text import Exact

CHECK_SCHEMA = "layerscope/check/v1"


def _number(value):
    return Exact(round(value, 4)) if isinstance(value, float) else value


def check_document(result: CheckResult) -> dict:
    return {
        "schema": CHECK_SCHEMA,
        "image": {
            "ref": result.ref,
            "id": result.image_id,
            "repo_tags": list(result.repo_tags),
            "platform": result.platform,
            "size": result.size,
        },
        "status": "pass" if result.passed else "fail",
        "counts": {status.value: result.count(status) for status in Status},
        "config_files": list(result.config_files),
        "budgets": [budget_document(item) for item in result.results],
    }


def budget_document(item: BudgetResult) -> dict:
    """One budget's verdict: check's budgets[] entries and diff's growth_check."""
    return {
        "name": item.name,
        "status": item.status.value,
        "unit": item.unit,
        "measured": _number(item.measured),
        "limit": _number(item.limit),
        "message": item.message,
        "source": item.source,
        "contributors": [
            {"kind": c.kind, "label": c.label, "bytes": c.bytes, "step": c.step,
             "detail": c.detail}
            for c in item.contributors
        ],
    }


def render_check(result: CheckResult, options: RenderOptions) -> str:
    return json.dumps(check_document(result), indent=2, ensure_ascii=False) + "\n"
