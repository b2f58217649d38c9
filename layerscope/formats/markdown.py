"""Markdown reports that fit a pull-request comment."""

from __future__ import annotations

from tabulate import tabulate

from .base import RenderOptions


def render_diff(report, options: RenderOptions) -> str:
    """The comparison as a PR comment: summary table, steps, files (collapsed)."""
    from . import diff_view
    from .units import signed_size

    verdict = ("no change" if report.identical
               else f"{signed_size(report.size_delta)} ({report.a.ref} → {report.b.ref})")
    parts = [f"### layerscope diff: {verdict}", ""]
    parts.append(tabulate(diff_view.summary_rows(report),
                          headers=["", f"A `{report.a.ref}`", f"B `{report.b.ref}`", "Delta"],
                          tablefmt="github"))
    if report.growth is not None:
        from .check_markdown import ICON
        from .check_view import STATUS_WORD

        growth = report.growth
        parts += ["", f"{ICON[growth.status]} **{STATUS_WORD[growth.status]}** "
                      f"`--fail-on-growth`: {growth.message}"]
    lines = diff_view.divergence_lines(report, width=100)
    parts += ["", lines[0]]
    if len(lines) > 1:
        parts += ["", "```text", *(line[2:] for line in lines[1:]), "```"]
    if report.steps:
        parts += ["", "#### Steps after the shared prefix, each beside its counterpart", ""]
        parts.append(tabulate(diff_view.step_rows(report, width=80),
                              headers=diff_view.STEP_HEADERS, tablefmt="github"))
    if report.files:
        title, rows = diff_view.file_rows(report, options, width=100)
        parts += ["", f"<details><summary>{title}</summary>", ""]
        parts.append(tabulate(rows, headers=diff_view.FILE_HEADERS, tablefmt="github"))
        parts += ["", "</details>"]
    elif report.path_glob is not None:
        parts += ["", diff_view.no_file_changes(report)]
    if report.waste:
        parts += ["", f"<details><summary>{diff_view.waste_title(report)}</summary>", ""]
        parts.append(tabulate(diff_view.waste_rows(report, options, width=100),
                              headers=diff_view.WASTE_HEADERS, tablefmt="github"))
        parts += ["", "</details>"]
    return "\n".join(parts) + "\n"


def render_advise(report, options: RenderOptions) -> str:
    """The advice as a PR comment: one table row per finding, the fixes below."""
    from .advise_view import saving, savings_text, where

    user, base = report.user_findings, report.base_findings
    parts = [f"### layerscope advise: {len(user)} findings, {savings_text(report.savings)} "
             f"(`{report.ref}`)", ""]
    if user:
        rows = [[f.rule, f.severity, f.title, saving(f), where(f, report.dockerfile),
                 f.fix.replace("|", "\\|")]
                for f in user]
        parts.append(tabulate(rows, headers=["Rule", "Severity", "Finding", "Saving", "Where",
                                             "Fix"], tablefmt="github"))
    else:
        parts.append("No findings for your steps.")
    if base:
        parts += ["", f"<details><summary>Base image ({len(base)} findings, bytes in the base "
                      "image's layers)</summary>", ""]
        parts += [f"- {f.rule} {saving(f)}: {f.message}. Fix: {f.fix}" for f in base]
        parts += ["", "</details>"]
    return "\n".join(parts) + "\n"


MARKDOWN_INSTRUCTION = 160
"""A PR comment wraps long cells, so only a long RUN script is cut (never with --no-trunc)."""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_inspect(report, options: RenderOptions) -> str:
    """The inspect report as a PR comment: headline, every step column, the wasted groups and
    findings folded; paths are never cut (the comment wraps them)."""
    from dataclasses import replace

    from ..analysis.image_report import removed_below
    from ..rules.waste_groups import group_wasted
    from . import inspect_view as view
    from .fit import cut_end
    from .units import percent, size

    fit = replace(options.fit, wide=True, colour=False)
    name = report.repo_tags[0] if report.repo_tags else report.ref
    parts = [f"### layerscope inspect `{name}`: {size(report.size)}, "
             f"{size(report.wasted_bytes)} wasted ({percent(report.wasted_bytes, report.size)})",
             ""]
    summary: list[list[str]] = []
    for label, text in view.summary_rows(report):
        if label:
            summary.append([label, text])
        else:
            summary[-1][1] += f" ({text})"  # the why under Efficiency
    parts += [f"- **{label}**: {text}" for label, text in summary]
    lines = dict(options.dockerfile_lines)
    parts += ["", f"#### {view.STEPS_TITLE}", ""]
    keys = view.shown_columns(fit)
    removed = removed_below(report)
    rows = []
    for step in report.steps:
        lead = [str(step.index)] + ([str(lines.get(step.index, ""))] if lines else [])
        text = _cell(cut_end(step.instruction, MARKDOWN_INSTRUCTION, fit))
        figures = view.step_figures(step, removed.get(step.index, 0))
        values = ["-"] + [""] * (len(keys) - 1) if step.empty_layer else [
            size(figures[key]) for key in keys]
        rows.append(lead + ["base" if step.base else "", text] + values)
    headers = ["#"] + (["Line"] if lines else []) + ["", "Instruction"]
    headers += [view.COLUMNS[key].header.replace("\n", " ") for key in keys]
    parts.append(tabulate(rows, headers=headers, tablefmt="github"))
    parts += [""] + [" ".join(view.legend(replace(fit, width=10_000), lines)).strip()]
    groups = group_wasted(report.wasted)
    if groups:
        shown = groups[: options.top]
        parts += ["", f"<details><summary>Wasted bytes, largest first ({len(shown)} of "
                      f"{len(groups)} groups, {len(report.wasted)} files)</summary>", ""]
        parts.append(tabulate(
            [[size(g.size), g.kind, f"`{g.label}`", g.written_by_step, g.killed_by_step]
             for g in shown],
            headers=["Size", "Kind", "Path", "Written by step", "Lost to step"],
            tablefmt="github"))
        parts += ["", "</details>"]
    if report.findings:
        from .advise_view import saving, where

        user = [f for f in report.findings if not f.base]
        if user:
            parts += ["", "#### Findings", ""]
            parts += [f"- **{f.rule}** {saving(f)}: {f.title} ({where(f)}). Fix: {f.fix}"
                      for f in user]
    return "\n".join(parts) + "\n"
