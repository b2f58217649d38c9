"""`fleet report` as one self-contained HTML page (no scripts, no external resources): the
totals and one table per section, the same cells as text and markdown."""

from __future__ import annotations

from html import escape

from ..analysis.fleet import FleetReport
from .base import RenderOptions
from .fleet_view import sections, totals_rows

STYLE = ("body{font:14px system-ui,sans-serif;margin:2em;color:#222}"
         "table{border-collapse:collapse;margin:.5em 0 1.5em}"
         "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}"
         "th{background:#f3f3f3}")


def _table(header, rows) -> list[str]:
    out = ["<table>", "<tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr>"]
    out += ["<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows]
    return out + ["</table>"]


def render_fleet(report: FleetReport, options: RenderOptions) -> str:
    title = f"Fleet scan {report.scan_id} ({report.finished_at})"
    lines = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>layerscope: {escape(title)}</title><style>{STYLE}</style></head><body>",
             f"<h1>{escape(title)}</h1>"]
    lines += _table(("", "total"), totals_rows(report))
    for section, header, rows in sections(report, options.top):
        lines += [f"<h2>{escape(section)}</h2>"] + _table(header, rows)
    return "\n".join(lines + ["</body></html>"]) + "\n"
