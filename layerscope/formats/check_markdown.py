"""check as Markdown: a table for a pull-request comment or a GitHub job summary."""

from __future__ import annotations

from ..rules.budgets.base import CheckResult, Status
from .base import RenderOptions
from .check_view import (
    STATUS_WORD,
    contributor_bytes,
    contributor_text,
    headline,
    image_name,
    limit_text,
    measured_text,
)

ICON = {Status.PASS: "✅", Status.FAIL: "❌", Status.SKIP: "⏭️"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_check(result: CheckResult, options: RenderOptions) -> str:
    icon = "✅" if result.passed else "❌"
    parts = [f"### {icon} layerscope check `{image_name(result)}`: {headline(result)}", ""]
    if result.results:
        parts += ["| Status | Budget | Measured | Limit |", "| --- | --- | --- | --- |"]
        for item in result.results:
            parts.append(f"| {ICON[item.status]} {STATUS_WORD[item.status]} | `{item.name}` | "
                         f"{_cell(measured_text(item))} | {_cell(limit_text(item))} |")
    for item in result.results:
        if item.status is Status.FAIL:
            parts += ["", f"#### ❌ `{item.name}`", "", _cell(item.message)]
            if item.contributors:
                parts += ["", "| Bytes | Top contributors |", "| ---: | --- |"]
                parts += [f"| {contributor_bytes(c)} | {_cell(contributor_text(c, 100))} |"
                          for c in item.contributors]
        elif item.status is Status.SKIP:
            parts += ["", f"⏭️ `{item.name}`: {_cell(item.message)}"]
    return "\n".join(parts) + "\n"
