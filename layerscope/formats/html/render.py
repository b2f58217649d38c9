"""`--format html` for inspect, diff and check: the JSON report's own document (so the page
shows the very figures `--format json` gives), a directory map, and long lists cut to what a
browser opens quickly, the cut said on the page."""

from __future__ import annotations

from itertools import chain
from typing import Any

from ..base import RenderOptions
from . import tree
from .page import page

MAX_ROWS = 5_000
"""Rows of a long table (wasted files, changed files) the page carries; the JSON report has all."""


def _cut(rows: list, key) -> tuple[list, int]:
    """The MAX_ROWS biggest rows, and how many there were."""
    if len(rows) <= MAX_ROWS:
        return rows, len(rows)
    return sorted(rows, key=key, reverse=True)[:MAX_ROWS], len(rows)


def render_inspect(report, options: RenderOptions) -> str:
    """The inspect page: headline, steps, directory map, wasted files, findings."""
    from ..json_report import inspect_document

    document: dict[str, Any] = inspect_document(report)
    document["wasted"], document["wasted_count"] = _cut(document["wasted"],
                                                        lambda row: row["size"])
    live = options.filesystem() if options.filesystem is not None else ()
    dead = ((item.path, item.written_by_step, item.size, True) for item in report.wasted)
    document["map"] = tree.build(chain(live, dead))
    document["map"]["series"] = "step"
    if options.patch is not None:
        document["patch"] = options.patch
    document["kind"] = "inspect"
    return page(f"layerscope inspect {report.ref}", document)


def render_diff(report, options: RenderOptions) -> str:
    """The diff page: both headlines with deltas, steps side by side, changed bytes by
    directory, waste that appeared or disappeared."""
    from ..json_report import diff_document

    document: dict[str, Any] = diff_document(report)
    changes = {"added": 0, "removed": 1, "changed": 2}
    document["map"] = tree.build(
        (f.path, changes.get(f.change, 2), f.size_a if f.change == "removed" else f.size_b,
         False) for f in report.files)
    document["map"]["series"] = "change"
    document["files"], document["files_count"] = _cut(document["files"],
                                                      lambda row: abs(row["size_delta"]))
    document["waste"], document["waste_count"] = _cut(document["waste"], lambda row: row["size"])
    document["kind"] = "diff"
    return page(f"layerscope diff {report.a.ref} {report.b.ref}", document)


def render_check(result, options: RenderOptions) -> str:
    """The check page: the verdict, then each budget with its figures and contributors."""
    from ..check_json import check_document

    document: dict[str, Any] = check_document(result)
    document["kind"] = "check"
    return page(f"layerscope check {result.ref}", document)
