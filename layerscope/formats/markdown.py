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
