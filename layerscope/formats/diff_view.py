"""Rows shared by the human-readable diff formats (text and markdown), so both say the same."""

from __future__ import annotations

from ..analysis.diff import DiffReport, group_by_depth
from .base import RenderOptions
from .fit import PLAIN, Fit, cut_end, cut_path, paint, show_difference
from .units import signed_percent, signed_size, size


def summary_rows(report: DiffReport) -> list[list[str]]:
    """Metric, A, B, delta."""
    a, b = report.a, report.b

    def row(name: str, x: int | None, y: int | None) -> list[str]:
        if x is None or y is None:
            return [name, "-" if x is None else size(x), "-" if y is None else size(y), "-"]
        return [name, size(x), size(y), f"{signed_size(y - x)} ({signed_percent(y - x, x)})"]

    return [
        row("Size", a.size, b.size),
        row("Visible", a.visible_bytes, b.visible_bytes),
        row("Wasted", a.wasted_bytes, b.wasted_bytes),
        row("Download", a.compressed_size, b.compressed_size),
        ["Layers", str(a.layer_count), str(b.layer_count), f"{b.layer_count - a.layer_count:+d}"],
    ]


def divergence_lines(report: DiffReport, width: int = 80, fit: Fit = PLAIN) -> list[str]:
    """Where the two histories part: a headline, then the first step of each side after the
    shared prefix, with the part of their instructions that differs in view."""
    shared = f"{report.shared_layers} shared layer(s), {report.shared_steps} shared step(s)"
    if report.identical:
        return [f"{shared}: the images have the same layers."]
    firsts = {}
    for pair in report.steps:
        for label, step, text in (("A", pair.step_a, pair.instruction_a),
                                  ("B", pair.step_b, pair.instruction_b)):
            if step is not None and (label not in firsts or step < firsts[label][0]):
                firsts[label] = (step, text or "")
    if not firsts:
        return [f"{shared}."]
    lines = [f"{shared}; the histories diverge here:"]
    if len(firsts) == 2:
        (step_a, text_a), (step_b, text_b) = firsts["A"], firsts["B"]
        label_a, label_b = f"  A step {step_a}: ", f"  B step {step_b}: "
        label_width = max(len(label_a), len(label_b))
        text_a, text_b = show_difference(text_a, text_b, width - label_width, fit)
        return lines + [label_a.ljust(label_width) + text_a, label_b.ljust(label_width) + text_b]
    for label in ("A", "B"):
        if label in firsts:
            step, text = firsts[label]
            lines.append("  " + cut_end(f"{label} step {step}: {text}", width - 2, fit))
        else:
            lines.append(f"  {label} has no step after the shared ones")
    return lines


def step_rows(report: DiffReport, width: int = 60, fit: Fit = PLAIN) -> list[list[str]]:
    """A#, B#, instruction, size A, size B, delta. An edited step (a counterpart with other
    text) gets an A: line with the figures and a B: line under it, cut where they differ; a
    step with no counterpart says so."""
    rows = []
    for pair in report.steps:
        numbers = ["-" if pair.step_a is None else str(pair.step_a),
                   "-" if pair.step_b is None else str(pair.step_b)]
        figures = ["-" if pair.step_a is None else size(pair.size_a),
                   "-" if pair.step_b is None else size(pair.size_b), signed_size(pair.delta)]
        if pair.step_a is None or pair.step_b is None:
            only = "B" if pair.step_a is None else "A"
            text = pair.instruction_b if pair.step_a is None else pair.instruction_a
            rows.append(numbers + [cut_end(f"(only in {only}) {text or ''}", width, fit)]
                        + figures)
        elif pair.instruction_a == pair.instruction_b:
            rows.append(numbers + [cut_end(pair.instruction_a or "", width, fit)] + figures)
        else:
            text_a, text_b = show_difference(pair.instruction_a or "", pair.instruction_b or "",
                                             width - 3, fit)
            rows.append(numbers + ["A: " + text_a] + figures)
            rows.append(["", "", "B: " + text_b, "", "", ""])
    return rows


def file_title(report: DiffReport, shown: int, total: int) -> str:
    """The heading of the changed-file rows."""
    where = f" under {report.path_glob}" if report.path_glob else ""
    return f"Changed files{where}, most bytes to download first ({shown} of {total})"


def file_rows(report: DiffReport, options: RenderOptions,
              width: int = 60) -> tuple[str, list[list[str]]]:
    """Title and rows of the file changes, grouped by directory when --depth is given."""
    if options.depth:
        groups = group_by_depth(report.files, options.depth)
        shown = groups[: options.top]
        title = (f"Changed files by directory (depth {options.depth}; {len(shown)} of "
                 f"{len(groups)} directories, {len(report.files)} paths)")
        return title, [[f"{g.file_count} file{'' if g.file_count == 1 else 's'}",
                         cut_path(g.path, width, options.fit), size(g.size_a), size(g.size_b),
                         signed_size(g.delta)] for g in shown]
    shown = report.files[: options.top]
    return file_title(report, len(shown), len(report.files)), [
        [paint(f.change, COLOUR.get(f.change, "changed"), options.fit),
         cut_path(f.path, width, options.fit), size(f.size_a), size(f.size_b),
         signed_size(f.delta)]
        for f in shown]


def no_file_changes(report: DiffReport) -> str:
    """What to say when no file row is left: nothing differs, or --path matched nothing."""
    if report.path_glob is None:
        return "Files: no differences in the final filesystems."
    if report.path_matches == 0 and not report.waste and not report.waste_unchanged_paths:
        return (f"Files: --path {report.path_glob} matches no path in either image "
                "(`*` stays inside one directory; `**` crosses them, see docs/globs.md).")
    return (f"Files: no differences under {report.path_glob} "
            f"({report.path_matches} matching paths).")


def waste_title(report: DiffReport) -> str:
    """The heading of the waste rows: how many, the net change, how many were alike."""
    net = sum(w.delta for w in report.waste)
    title = (f"Wasted bytes that differ ({len(report.waste)} "
             f"path{'' if len(report.waste) == 1 else 's'}, net {signed_size(net)}")
    if report.waste_unchanged_paths:
        title += f"; {report.waste_unchanged_paths} alike on both sides left out"
    return title + ")"


def waste_rows(report: DiffReport, options: RenderOptions, width: int = 50) -> list[list[str]]:
    """Dead bytes that appeared, disappeared or changed, with the steps (of B when B has
    them, else of A) that wrote and lost them, as the step table numbers them."""
    fit = options.fit
    return [[w.side, cut_path(w.path, width, fit), size(w.size_a) if w.size_a else "-",
             size(w.size_b) if w.size_b else "-", f"{w.image} {w.written_step}",
             f"{w.image} {w.killed_step}"] for w in report.waste[: options.top]]


COLOUR = {"added": "added", "removed": "removed"}
"""fit.paint's meaning of a file change on a terminal (content and metadata changes: changed)."""
FILE_HEADERS = ["Change", "Path", "Size A", "Size B", "Delta"]
STEP_HEADERS = ["A#", "B#", "Instruction", "Size A", "Size B", "Delta"]
WASTE_HEADERS = ["Waste", "Path", "Dead A", "Dead B", "Written by", "Lost to"]


def growth_line(report: DiffReport) -> str | None:
    """--fail-on-growth's verdict in check's words: 'FAIL  --fail-on-growth  growth against ...'."""
    if report.growth is None:
        return None
    from .check_view import STATUS_WORD

    return f"{STATUS_WORD[report.growth.status]}  --fail-on-growth  {report.growth.message}"
