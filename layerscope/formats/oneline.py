"""One line for a CI log: the image, its size, the wasted bytes and what the fixes would save.

It stands alone (grep-able, no table) and is what `--format oneline` writes; the figures are
the text report's, in the same units."""

from __future__ import annotations

from .base import RenderOptions
from .units import percent, size


def render_inspect(report, options: RenderOptions) -> str:
    """'size:latest sha256:f230cc4972a8: 2.5 MB in 5 layers, 270.2 kB wasted (10.7%), ...'."""
    name = report.repo_tags[0] if report.repo_tags else report.ref
    parts = [f"{size(report.size)} in {len(report.layers)} "
             f"{'layer' if len(report.layers) == 1 else 'layers'}",
             f"{size(report.wasted_bytes)} wasted ({percent(report.wasted_bytes, report.size)})",
             f"{size(report.user_size)} after the base"]
    if report.findings is not None:
        user = [f for f in report.findings if not f.base]
        if user:
            from ..rules.savings import savings

            found = savings(user, report.user_size)
            parts.append(f"{len(user)} {'finding' if len(user) == 1 else 'findings'}, up to "
                         f"{size(found.every_fix)} to save")
        else:
            parts.append("no findings")
    return f"layerscope inspect {name} {report.image_id[:19]}: {', '.join(parts)}\n"
