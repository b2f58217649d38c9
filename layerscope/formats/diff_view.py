"""Rows shared by the human-readable diff formats (text and markdown), so both say the same."""

from __future__ import annotations

from ..analysis.diff import DiffReport, group_by_depth
from .base import RenderOptions
from .units import shorten, signed_percent, signed_size, size


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


def divergence_line(report: DiffReport) -> str:
    """Where the two histories part."""
    shared = f"{report.shared_layers} shared layer(s), {report.shared_steps} shared step(s)"
    if report.identical:
        return f"{shared}: the images have the same layers."
    first = report.steps[0] if report.steps else None
    if first is None:
        return f"{shared}."
    where_a = f"A step {first.step_a}: {first.instruction_a}" if first.step_a is not None else "A ends"
    where_b = f"B step {first.step_b}: {first.instruction_b}" if first.step_b is not None else "B ends"
    return f"{shared}; the histories diverge at {shorten(where_a, 70)} | {shorten(where_b, 70)}"


def step_rows(report: DiffReport, width: int = 60) -> list[list[str]]:
    """A#, B#, instruction, size A, size B, delta; a step whose text differs gets an A: line
    with the figures and a B: line under it, so both instructions can be read in full width."""
    rows = []
    for pair in report.steps:
        numbers = ["-" if pair.step_a is None else str(pair.step_a),
                   "-" if pair.step_b is None else str(pair.step_b)]
        figures = [size(pair.size_a), size(pair.size_b), signed_size(pair.delta)]
        same = pair.instruction_a == pair.instruction_b
        if same or pair.instruction_b is None or pair.instruction_a is None:
            text = pair.instruction_a if pair.instruction_a is not None else pair.instruction_b
            rows.append(numbers + [shorten(text or "", width)] + figures)
        else:
            rows.append(numbers + [shorten("A: " + pair.instruction_a, width)] + figures)
            rows.append(["", "", shorten("B: " + pair.instruction_b, width), "", "", ""])
    return rows


def file_rows(report: DiffReport, options: RenderOptions, width: int = 60) -> tuple[str, list[list[str]]]:
    """Title and rows of the file changes, grouped by directory when --depth is given."""
    if options.depth:
        groups = group_by_depth(report.files, options.depth)
        shown = groups[: options.top]
        title = (f"Changed files by directory (depth {options.depth}; {len(shown)} of "
                 f"{len(groups)} directories, {len(report.files)} paths)")
        return title, [[f"{g.file_count} file{'' if g.file_count == 1 else 's'}",
                         shorten(g.path, width), size(g.size_a), size(g.size_b),
                         signed_size(g.delta)] for g in shown]
    shown = report.files[: options.top]
    title = f"Changed files, largest first ({len(shown)} of {len(report.files)})"
    return title, [[f.change, shorten(f.path, width), size(f.size_a), size(f.size_b),
                    signed_size(f.delta)] for f in shown]


def waste_rows(report: DiffReport, options: RenderOptions, width: int = 50) -> list[list[str]]:
    """Dead bytes that appeared or disappeared."""
    return [[w.side, shorten(w.path, width), size(w.size), shorten(w.written_by, 30),
             shorten(w.killed_by, 30)] for w in report.waste[: options.top]]


FILE_HEADERS = ["Change", "Path", "Size A", "Size B", "Delta"]
STEP_HEADERS = ["A#", "B#", "Instruction", "Size A", "Size B", "Delta"]
WASTE_HEADERS = ["Waste", "Path", "Bytes", "Written by", "Killed by"]


def growth_line(report: DiffReport) -> str | None:
    """--fail-on-growth's verdict in check's words: 'FAIL  --fail-on-growth  growth against ...'."""
    if report.growth is None:
        return None
    from .check_view import STATUS_WORD

    return f"{STATUS_WORD[report.growth.status]}  --fail-on-growth  {report.growth.message}"
