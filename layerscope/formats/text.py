"""Plain-text report for a terminal: summary, per-step table, largest wasted files."""

from __future__ import annotations

from tabulate import tabulate

from ..analysis.image_report import InspectReport, StepReport
from ..rules.waste_groups import group_wasted
from .base import RenderOptions
from .units import percent, shorten, size

INSTRUCTION_WIDTH = 60


def _layers(count: int) -> str:
    return f"{count} layer" if count == 1 else f"{count} layers"


def _step_label(report: InspectReport, index: int) -> str:
    return f"{index}: {shorten(report.steps[index].instruction, 28)}"


def _step_row(step: StepReport) -> list[str]:
    marker = "base" if step.base else ""
    instruction = shorten(step.instruction, INSTRUCTION_WIDTH)
    if step.empty_layer:
        return [str(step.index), marker, instruction, "-", "", "", "", "", ""]
    return [str(step.index), marker, instruction, size(step.size), size(step.added_bytes),
            size(step.replaced_bytes), size(step.deleted_lower_bytes), size(step.dead_bytes),
            size(step.live_bytes)]


def render_inspect(report: InspectReport, options: RenderOptions) -> str:
    """The text report."""
    name = report.repo_tags[0] if report.repo_tags else report.ref
    summary = [
        ["Image", f"{name}  {report.image_id[:19]}  {report.platform}"],
        ["Size", f"{size(report.size)} ({report.size:,} bytes) in {_layers(len(report.layers))}"],
        ["Visible", f"{size(report.visible_bytes)} ({report.visible_bytes:,} bytes)"],
        ["Wasted", f"{size(report.wasted_bytes)} ({report.wasted_bytes:,} bytes, "
                   f"{percent(report.wasted_bytes, report.size)}): written by one step, "
                   "removed or replaced by a later one"],
        ["User", f"{size(report.user_size)} in "
                 f"{_layers(len(report.layers) - report.base.layer_count)} after the base, "
                 f"{size(report.user_wasted_bytes)} wasted "
                 f"({percent(report.user_wasted_bytes, report.user_size)})"],
        ["Base", f"{_layers(report.base.layer_count)}: {report.base.detail}"],
        ["Efficiency", f"{100 * report.efficiency:.1f}% (dive's score, for comparison)"],
    ]
    parts = [tabulate(summary, tablefmt="plain"), ""]
    parts.append("Steps (bytes per Dockerfile instruction)")
    headers = ["#", "", "Instruction", "Size", "Added", "Replaced", "Deleted lower", "Dead", "Live"]
    parts.append(tabulate([_step_row(s) for s in report.steps], headers=headers, tablefmt="simple",
                          colalign=("right", "left", "left") + ("right",) * 6))
    for step in report.steps:
        for killer, dead in step.dead_by_step:
            parts.append(f"  step {step.index} wrote {size(dead)} that step {killer} removed or "
                         f"replaced: {shorten(report.steps[killer].instruction, 50)}")
    parts.append("")
    groups = group_wasted(report.wasted)
    under = f" under {options.path_glob}" if options.path_glob is not None else ""
    if not groups and under:
        parts.append(f"Wasted bytes{under}: none (--path; docs/globs.md).")
    elif not groups:
        parts.append("Wasted bytes: none. Every byte in the image is visible in its filesystem.")
    else:
        shown = groups[: options.top]
        parts.append(f"Wasted bytes{under}, largest first ({len(shown)} of {len(groups)} groups, "
                     f"{len(report.wasted)} files"
                     + (f", {size(sum(w.size for w in report.wasted))})" if under else ")"))
        rows = [[size(g.size), g.kind, shorten(g.label, 60), _step_label(report, g.written_by_step),
                 _step_label(report, g.killed_by_step)] for g in shown]
        parts.append(tabulate(rows, headers=["Size", "Kind", "Path", "Written by", "Killed by"],
                              tablefmt="simple", colalign=("right", "left", "left", "left", "left")))
    if report.warnings:
        parts += ["", "Warnings"] + [f"  {item.message}" for item in report.warnings]
    parts += _advice_sections(report, options)
    return "\n".join(parts) + "\n"


def _advice_sections(report: InspectReport, options: RenderOptions) -> list[str]:
    """inspect's Findings section (and Packages, with --packages)."""
    from . import advise_view

    parts = []
    if report.findings is not None:
        parts += [""] + advise_view.findings_text(report.findings, options.top, report.user_size)
    if report.packages:
        parts += [""] + advise_view.packages_text(report, options.top)
    return parts


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
    parts += advise_view.findings_text(report.findings, options.top, report.user_size)
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
    parts += [""] + diff_view.divergence_lines(report)
    if report.steps:
        parts += ["", "Steps after the shared prefix, each beside its counterpart"]
        parts.append(tabulate(diff_view.step_rows(report), headers=diff_view.STEP_HEADERS,
                              tablefmt="simple",
                              colalign=("right", "right", "left", "right", "right", "right")))
    parts.append("")
    if report.files:
        title, rows = diff_view.file_rows(report, options)
        parts += [title, tabulate(rows, headers=diff_view.FILE_HEADERS, tablefmt="simple",
                                  colalign=("left", "left", "right", "right", "right"))]
    else:
        parts.append(diff_view.no_file_changes(report))
    if report.waste:
        parts += ["", diff_view.waste_title(report)]
        parts.append(tabulate(diff_view.waste_rows(report, options),
                              headers=diff_view.WASTE_HEADERS, tablefmt="simple",
                              colalign=("left", "left", "right", "right", "left", "left")))
    elif report.waste_unchanged_paths:
        parts += ["", diff_view.waste_title(report)]
    return "\n".join(parts) + "\n"
