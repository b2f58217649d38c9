"""`fleet report` as Markdown: a totals table, then one table per section."""

from __future__ import annotations

from ..analysis.fleet import FleetReport
from .base import RenderOptions
from .fleet_view import sections, totals_rows


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def _table(header, rows) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]


def render_fleet(report: FleetReport, options: RenderOptions) -> str:
    lines = [f"## Fleet scan {report.scan_id} ({report.finished_at})", ""]
    lines += _table(("", "total"), totals_rows(report))
    for title, header, rows in sections(report, options.top):
        lines += ["", f"### {title}", ""] + _table(header, rows)
    return "\n".join(lines) + "\n"
