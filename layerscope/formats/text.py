"""Plain-text report for a terminal: summary, per-step table, largest wasted files."""

from __future__ import annotations

from tabulate import tabulate

from ..analysis.image_report import InspectReport
from ..rules.waste_groups import group_wasted
from .base import RenderOptions
from .fit import cut_path, paint
from .units import size


def render_inspect(report: InspectReport, options: RenderOptions) -> str:
    """The text report, fitted to the reader's width (formats.fit)."""
    from . import inspect_view as view

    fit = options.fit
    lines = dict(options.dockerfile_lines)
    parts = []
    for label, text in view.summary_rows(report):
        parts += view.wrap(text, fit, indent=" " * 12, first=f"{label:<12}")
    parts.append("")
    parts += view.wrap(view.STEPS_TITLE, fit)
    headers, rows, align = view.step_table(report, fit, lines)
    parts.append(tabulate(rows, headers=headers, tablefmt="simple", colalign=align))
    parts += view.legend(fit, lines)
    parts += view.kill_lines(report, fit)
    parts.append("")
    parts += _wasted_section(report, options)
    if report.warnings:
        parts += ["", "Warnings"] + [line for item in report.warnings
                                     for line in view.wrap(item.message, fit, indent="  ")]
    parts += _advice_sections(report, options)
    return "\n".join(parts) + "\n"


WASTE_HEADERS = ["Size", "Kind", "Path", "Written\nby step", "Lost to\nstep"]
KIND_MEANING = {"removed": "removed", "overwritten": "changed", "metadata-only": "changed",
                "replaced-by-link": "changed"}


def _wasted_section(report: InspectReport, options: RenderOptions) -> list[str]:
    """The wasted groups, largest first; with --expand, each group's files under it."""
    fit = options.fit
    groups = group_wasted(report.wasted)
    under = f" under {options.path_glob}" if options.path_glob is not None else ""
    if not groups and under:
        return [f"Wasted bytes{under}: none (--path; docs/globs.md)."]
    if not groups:
        return ["Wasted bytes: none. Every byte in the image is visible in its filesystem."]
    shown = groups[: options.top]
    title = (f"Wasted bytes{under}, largest first ({len(shown)} of {len(groups)} groups, "
             f"{len(report.wasted)} files"
             + (f", {size(sum(w.size for w in report.wasted))})" if under else ")"))
    if not options.expand and any(g.files > 1 for g in shown):
        title += "; --expand lists each group's files"
    sizes = [size(g.size) for g in shown]
    size_width = max(len("Size"), *(len(text) for text in sizes))
    kind_width = max(len("Kind"), *(len(g.kind) for g in shown))
    # tabulate pads a header by 2; the step numbers are never wider than their headers
    steps_width = max(len("by step"), len("Lost to")) + 2
    path_width = fit.width - size_width - kind_width - 2 * steps_width - 8
    rows = []
    for group, text in zip(shown, sizes):
        rows.append([paint(text, "dead", fit), paint(group.kind, KIND_MEANING[group.kind], fit),
                     cut_path(group.label, path_width, fit), str(group.written_by_step),
                     str(group.killed_by_step)])
        if options.expand and group.files > 1:
            # tabulate strips a cell's leading spaces: a tree mark indents the files instead
            items = group.items[: options.top]
            more = group.files - len(items)
            for n, item in enumerate(items):
                mark = "└ " if n == len(items) - 1 and not more else "├ "
                rows.append([size(item.size), "", mark + cut_path(item.path, path_width - 2, fit),
                             "", ""])
            if more:
                rows.append(["", "", f"└ … {more} more (--top)", "", ""])
    table = tabulate(rows, headers=WASTE_HEADERS, tablefmt="simple",
                     colalign=("right", "left", "left", "right", "right"))
    from .inspect_view import wrap

    return wrap(title, fit) + [table]


def _advice_sections(report: InspectReport, options: RenderOptions) -> list[str]:
    """inspect's Findings section (and Packages, with --packages)."""
    from . import advise_view

    parts = []
    if report.findings is not None:
        parts += [""] + advise_view.findings_text(report.findings, options.top, report.user_size,
                                                  options.dockerfile)
    if report.packages:
        parts += [""] + advise_view.packages_text(report, options.top)
    return [wrapped for line in parts for wrapped in _fitted(line, options)]


def _fitted(line: str, options: RenderOptions) -> list[str]:
    """A long line wrapped to the width, its continuation indented under it (nothing cut)."""
    from .inspect_view import wrap

    if len(line) <= options.fit.width:
        return [line]
    indent = " " * (len(line) - len(line.lstrip(" ")))
    return wrap(line.strip(" "), options.fit, indent=indent + "  ", first=indent)


def render_advise(report, options: RenderOptions) -> str:
    """The advise text report: each finding with its saving, steps, fix and top paths."""
    from . import advise_view

    name = report.repo_tags[0] if report.repo_tags else report.ref
    parts = [f"Image  {name}  {report.image_id[:19]}  {size(report.size)} "
             f"({size(report.user_size)} after the base)"]
    if report.dockerfile:
        parts.append(f"Dockerfile  {report.dockerfile}")
    if report.ignored:
        parts.append(f"Ignored rules  {', '.join(report.ignored)}")
    parts.append("")
    parts += advise_view.findings_text(report.findings, options.top, report.user_size,
                                       report.dockerfile)
    if report.patch is not None:
        parts += [""] + advise_view.patch_text(report)
    return "\n".join(parts) + "\n"


def render_diff(report, options: RenderOptions) -> str:
    """The text comparison of two images."""
    from . import diff_view

    parts = [f"A  {report.a.ref}  {report.a.image_id[:19]}",
             f"B  {report.b.ref}  {report.b.image_id[:19]}", ""]
    parts.append(tabulate(diff_view.summary_rows(report), headers=["", "A", "B", "Delta"],
                          tablefmt="simple", colalign=("left", "right", "right", "right")))
    if report.growth is not None:
        parts += ["", diff_view.growth_line(report)]
    fit = options.fit
    width = fit.width
    parts += [""] + diff_view.divergence_lines(report, width, fit)
    if report.steps:
        # A#, B#, three sizes (up to '-420.8 MB') and five two-space gaps take 45 columns
        rows = diff_view.step_rows(report, max(width - 45, 24), fit)
        parts += ["", "Steps after the shared prefix, each beside its counterpart"]
        parts.append(tabulate(rows, headers=diff_view.STEP_HEADERS, tablefmt="simple",
                              colalign=("right", "right", "left", "right", "right", "right")))
    parts.append("")
    if report.files:
        # 'metadata-only', three sizes and four gaps take 48 columns
        title, rows = diff_view.file_rows(report, options, max(width - 48, 24))
        parts += [title, tabulate(rows, headers=diff_view.FILE_HEADERS, tablefmt="simple",
                                  colalign=("left", "left", "right", "right", "right"))]
    else:
        parts.append(diff_view.no_file_changes(report))
    if report.waste:
        # 'disappeared', two sizes, 'Written by', 'Lost to' and five gaps take 54 columns
        parts += ["", diff_view.waste_title(report)]
        parts.append(tabulate(diff_view.waste_rows(report, options, max(width - 54, 24)),
                              headers=diff_view.WASTE_HEADERS, tablefmt="simple",
                              colalign=("left", "left", "right", "right", "right", "right")))
    elif report.waste_unchanged_paths:
        parts += ["", diff_view.waste_title(report)]
    return "\n".join(parts) + "\n"
