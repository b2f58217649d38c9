"""`fleet report` as text: the totals, then each section as a plain table."""

from __future__ import annotations

from tabulate import tabulate

from ..analysis.fleet import FleetReport
from .base import RenderOptions
from .fleet_view import sections, totals_rows


def render_fleet(report: FleetReport, options: RenderOptions) -> str:
    lines = [f"Fleet scan {report.scan_id} ({report.finished_at})", ""]
    width = max(len(label) for label, _ in totals_rows(report))
    lines += [f"  {label.ljust(width)}  {value}" for label, value in totals_rows(report)]
    for title, header, rows in sections(report, options.top):
        lines += ["", title, tabulate(rows, headers=header, tablefmt="plain",
                                      disable_numparse=True)]
    return "\n".join(lines) + "\n"
