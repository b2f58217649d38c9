"""What inspect's human formats share: the step columns with the names and legend a newcomer
reads right, the bytes a step took from lower steps split into removed and replaced, the line
saying why dive's score and the wasted share differ, and the wasted groups.

Steps keep the number every command and the JSON `index` give them: the position in the
image's history, oldest first, from 0, with ARG/ENV/CMD and other entries without a layer
counted (they are `docker history`'s rows read bottom-up). With --dockerfile, the Dockerfile
line of each step of the image's own is shown beside it.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from ..analysis.image_report import InspectReport, StepReport, removed_below
from .fit import Fit, cut_end, paint
from .units import percent, size

REMOVED = "removed"


@dataclass(frozen=True)
class Column:
    """One figure of the steps table."""

    header: str
    """Its name as printed (two lines at most, so the column stays narrow)."""
    legend: str
    """What it counts, in one phrase, for the legend under the table."""
    wide_only: bool
    """Shown only with --wide (the default fits 80 columns)."""
    meaning: str | None
    """Its colour's meaning on a terminal, when a non-zero value has one."""


COLUMNS = {
    "size": Column("Size", "its layer (`docker history` SIZE)", False, None),
    "new": Column("New", "written at new paths", True, "added"),
    "rewrote": Column("Rewrote", "written over lower steps' files", True, "changed"),
    "removed_below": Column("Removed\nbelow", "lower steps' bytes it deleted", True, "removed"),
    "replaced_below": Column("Replaced\nbelow", "lower steps' bytes it hid under its own copy "
                             "(chmod -R copies every file)", True, "changed"),
    "lost": Column("Lost\nlater", "bytes a later step deleted or replaced (wasted)", False,
                   "dead"),
    "visible": Column("Visible", "bytes the final image shows", False, None),
}
"""The figures of a step, in table order. New + Rewrote = Size = Lost later + Visible."""
MIN_INSTRUCTION = 24


def step_figures(step: StepReport, removed: int) -> dict[str, int]:
    """The step's figures by column key."""
    return {"size": step.size, "new": step.added_bytes, "rewrote": step.replaced_bytes,
            "removed_below": removed, "replaced_below": step.deleted_lower_bytes - removed,
            "lost": step.dead_bytes, "visible": step.live_bytes}


def shown_columns(fit: Fit) -> list[str]:
    return [key for key, column in COLUMNS.items() if fit.wide or not column.wide_only]


def step_table(report: InspectReport, fit: Fit, lines: dict[int, int]):
    """(headers, rows, column alignment) of the steps table, the instruction cut to what the
    width leaves (never below MIN_INSTRUCTION; not at all with --no-trunc)."""
    keys = shown_columns(fit)
    removed = removed_below(report)
    figures = []
    for step in report.steps:
        values = step_figures(step, removed.get(step.index, 0))
        figures.append(None if step.empty_layer else [size(values[key]) for key in keys])
    based = any(step.base for step in report.steps)  # the "base" column only when needed
    headers = ["#"] + (["Line"] if lines else []) + ([""] if based else []) + ["Instruction"]
    headers += [COLUMNS[key].header for key in keys]
    text_column = 1 + bool(lines) + based
    rows = []
    for step, values in zip(report.steps, figures):
        lead = [str(step.index)] + ([str(lines.get(step.index, ""))] if lines else [])
        lead += ["base" if step.base else ""] if based else []
        if values is None:
            rows.append(lead + [step.instruction, "-"] + [""] * (len(keys) - 1))
        else:
            rows.append(lead + [step.instruction] + values)
    room = fit.width - sum(_column_width(headers, rows, column)
                           for column in range(len(headers)) if column != text_column)
    room -= 2 * (len(headers) - 1)
    width = max(room, MIN_INSTRUCTION)
    for row, values in zip(rows, figures):
        row[text_column] = cut_end(row[text_column], width, fit)
        for position, key in enumerate(keys if values is not None else ()):
            cell = text_column + 1 + position
            row[cell] = _paint_figure(row[cell], COLUMNS[key].meaning, fit)
    numbers = 1 + bool(lines)
    align = ("right",) * numbers + ("left",) * (text_column + 1 - numbers) + ("right",) * len(keys)
    return headers, rows, align


def _column_width(headers: list[str], rows: list[list[str]], column: int) -> int:
    """The width tabulate's simple format gives a column: its widest cell, or its header's
    widest line plus tabulate's padding of 2; an empty header and column take none."""
    header = max(len(part) for part in headers[column].split("\n"))
    cells = max((len(row[column]) for row in rows), default=0)
    return max(cells, header + 2) if header or cells else 0


def _paint_figure(value: str, meaning: str | None, fit: Fit) -> str:
    return value if meaning is None or value == "0 B" else paint(value, meaning, fit)


def legend(fit: Fit, lines: dict[int, int]) -> list[str]:
    """The lines under the steps table saying what each shown column counts."""
    parts = [f"{COLUMNS[key].header.replace(chr(10), ' ')}: {COLUMNS[key].legend}"
             for key in shown_columns(fit)]
    if lines:
        parts.insert(0, "Line: the Dockerfile line that made the step")
    text = "; ".join(parts) + "."
    if not fit.wide:
        text += " --wide adds New, Rewrote, Removed below and Replaced below."
    return wrap(text, fit, indent="  ")


STEPS_TITLE = "Steps (# = history position from 0, `docker history` bottom-up; - = no layer)"


def wrap(text: str, fit: Fit, indent: str = "", first: str | None = None) -> list[str]:
    """text wrapped to the width (words are never cut; nothing is hidden by wrapping)."""
    return textwrap.wrap(text, width=max(fit.width, 40), initial_indent=indent if first is None else first,
                         subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False)


def kill_lines(report: InspectReport, fit: Fit) -> list[str]:
    """Per writing step, what later steps did to its bytes, named by how: deleted, replaced
    with other content, or copied unchanged (metadata only)."""
    pairs: dict[tuple[int, int], dict[str, int]] = {}
    for item in report.wasted:
        if item.size and item.written_by_step != item.killed_by_step:
            kinds = pairs.setdefault((item.written_by_step, item.killed_by_step), {})
            kinds[item.kind] = kinds.get(item.kind, 0) + item.size
    lines = []
    for (writer, killer), kinds in sorted(pairs.items()):
        ordered = sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))
        how = " and ".join(f"{size(bytes_)} that {'step ' + str(killer) if not n else 'it'} "
                           f"{KIND_VERBS[kind]}" for n, (kind, bytes_) in enumerate(ordered))
        text = f"step {writer} wrote {how}"
        room = fit.width - len(text) - 4
        if room >= MIN_INSTRUCTION or not fit.truncate:
            # the killer's instruction where it fits; the steps table above has it anyway
            text += ": " + cut_end(report.steps[killer].instruction, room, fit)
        lines += wrap(text, fit, indent="    ", first="  ")
    return lines


KIND_VERBS = {
    "removed": "deleted",
    "overwritten": "replaced with new content",
    "metadata-only": "copied unchanged, changing only mode/owner/times",
    "replaced-by-link": "replaced by a link",
}
"""How a dead version died, as a verb phrase (the kinds of docs/accounting.md)."""


def efficiency_line(report: InspectReport) -> str | None:
    """Why dive's score and the wasted share disagree, when they do (to 0.1 point)."""
    dive_waste = 100.0 * (1.0 - report.efficiency)
    ours = 100.0 * report.wasted_bytes / report.size if report.size else 0.0
    if round(dive_waste, 1) == round(ours, 1):
        return None
    return (f"dive's score calls {dive_waste:.1f}% waste, layerscope {ours:.1f}%: dive weighs "
            "each path's sizes across layers, so it misses files deleted with their directory "
            "and charges an overwritten file its larger copy; Wasted is exactly the bytes the "
            "final image does not show")


def summary_rows(report: InspectReport) -> list[tuple[str, str]]:
    """The headline figures, label then text."""
    name = report.repo_tags[0] if report.repo_tags else report.ref
    rows = [
        ("Image", f"{name}  {report.image_id[:19]}  {report.platform}"),
        ("Size", f"{size(report.size)} ({report.size:,} bytes) in {_layers(len(report.layers))}"),
        ("Visible", f"{size(report.visible_bytes)} ({report.visible_bytes:,} bytes)"),
        ("Wasted", f"{size(report.wasted_bytes)} ({report.wasted_bytes:,} bytes, "
                   f"{percent(report.wasted_bytes, report.size)}): written by one step, "
                   "deleted or replaced by a later one"),
        ("User", f"{size(report.user_size)} in "
                 f"{_layers(len(report.layers) - report.base.layer_count)} after the base, "
                 f"{size(report.user_wasted_bytes)} wasted "
                 f"({percent(report.user_wasted_bytes, report.user_size)})"),
        ("Base", f"{_layers(report.base.layer_count)}: {report.base.detail}"),
        ("Efficiency", f"{100 * report.efficiency:.1f}% (dive's score, for comparison)"),
    ]
    why = efficiency_line(report)
    if why is not None:
        rows.append(("", why))
    return rows


def _layers(count: int) -> str:
    return f"{count} layer" if count == 1 else f"{count} layers"
