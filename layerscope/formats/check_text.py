"""check as plain text: one line per budget, the contributors under each failure."""

from __future__ import annotations

from ..rules.budgets.base import CheckResult, Status
from .base import RenderOptions
from .check_view import STATUS_WORD, contributor_bytes, contributor_text, headline, image_name


def render_check(result: CheckResult, options: RenderOptions) -> str:
    lines = [f"layerscope check {image_name(result)} ({result.image_id[:19]}, {result.platform}): "
             f"{headline(result)}"]
    width = max((len(r.name) for r in result.results), default=0)
    for item in result.results:
        lines.append(f"{STATUS_WORD[item.status]}  {item.name.ljust(width)}  {item.message}")
        if item.status is Status.FAIL:
            for contributor in item.contributors:
                lines.append(f"      {contributor_bytes(contributor):>9}  "
                             f"{contributor_text(contributor)}")
    if result.config_files:
        lines.append(f"settings from: {', '.join(result.config_files)} (and flags)")
    return "\n".join(lines) + "\n"
