"""The steps, findings and waste panels: read-only lists of the inspect report's rows."""

from __future__ import annotations

from rich.segment import Segment
from textual.binding import Binding

from ..analysis.image_report import InspectReport
from .rows import RowList
from .text import BASE_STYLE, DEAD_STYLE, PLAIN, exact, one_line, size

WIDE = 56  # from this width on, the steps panel has a live column


class StepsView(RowList):
    """Every history entry with its size, dead and live bytes; the base image's dimmed and
    marked B."""

    def __init__(self, report: InspectReport, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.report = report

    def row_count(self) -> int:
        return len(self.report.steps)

    def row_segments(self, index: int, width: int) -> list[Segment]:
        step = self.report.steps[index]
        style = BASE_STYLE if step.base else PLAIN
        layer = not step.empty_layer
        segments = [Segment(f"{'B' if step.base else ' '}{size(step.size) if layer else '':>9} ",
                            style),
                    Segment(f"{size(step.dead_bytes) if step.dead_bytes else '':>8} ",
                            DEAD_STYLE if step.dead_bytes else style)]
        if width >= WIDE:  # live bytes too; in a narrow panel the details line has them
            segments.append(Segment(f"{size(step.live_bytes) if layer else '':>8} ", style))
        used = sum(len(segment.text) for segment in segments)
        segments.append(Segment(one_line(step.instruction, width - used), style))
        return segments

    def details(self, index: int) -> str:
        """The exact figures of a step (bytes)."""
        if index >= len(self.report.steps):
            return ""
        step = self.report.steps[index]
        where = "base image, " if step.base else ""
        if step.empty_layer:
            return f"step {step.index} ({where}no layer): {one_line(step.instruction, 200)}"
        killers = ", ".join(f"step {killer}: {amount:,}" for killer, amount in step.dead_by_step)
        return (f"step {step.index} ({where}layer {step.layer}) {exact(step.size)}: added "
                f"{step.added_bytes:,} · replaced {step.replaced_bytes:,} · deleted lower "
                f"{step.deleted_lower_bytes:,} · dead {step.dead_bytes:,}"
                f"{f' (killed by {killers})' if killers else ''} · live {step.live_bytes:,}")


class FindingsView(RowList):
    """The advice findings with their savings; Enter goes to the last step a finding names."""

    BINDINGS = [Binding("enter", "open", "Go to step", show=False)]

    def __init__(self, findings: tuple, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.findings = findings

    def row_count(self) -> int:
        return len(self.findings) or 1

    def row_segments(self, index: int, width: int) -> list[Segment]:
        if not self.findings:
            return [Segment("no findings", BASE_STYLE)]
        finding = self.findings[index]
        saving = finding.estimated_saving_bytes
        head = f"{size(saving) if saving is not None else '?':>9} {finding.rule} "
        return [Segment(head + one_line(finding.title, width - len(head)),
                        BASE_STYLE if finding.base else PLAIN)]

    def details(self, index: int) -> str:
        """A finding's exact saving, what was found and the fix."""
        if not self.findings:
            return "no findings: the rules found nothing to change"
        finding = self.findings[index]
        saving = finding.estimated_saving_bytes
        figure = exact(saving) if saving is not None else "not estimated"
        steps = ", ".join(str(step) for step in finding.steps)
        return (f"{finding.rule} ({finding.severity}, steps {steps}) saves {figure}: "
                f"{finding.message} Fix: {finding.fix}")

    def action_open(self) -> None:
        if self.findings:
            finding = self.findings[self.cursor]
            if finding.steps:
                self.app.jump(finding.steps[-1], finding.paths[0] if finding.paths else None)


class WasteView(RowList):
    """Dead versions grouped as inspect groups them; Enter goes to the step that killed the
    group, o to the step that wrote it."""

    BINDINGS = [
        Binding("enter", "open(True)", "Killing step", show=False),
        Binding("o", "open(False)", "Writing step", show=False),
    ]

    def __init__(self, groups: list, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.groups = groups

    def row_count(self) -> int:
        return len(self.groups) or 1

    def row_segments(self, index: int, width: int) -> list[Segment]:
        if not self.groups:
            return [Segment("no wasted bytes: every byte of the image is visible", BASE_STYLE)]
        group = self.groups[index]
        head = (f"{size(group.size):>9} {group.kind:<16} {group.written_by_step:>3} -> "
                f"{group.killed_by_step:<3} ")
        return [Segment(head, DEAD_STYLE), Segment(one_line(group.label, width - len(head)), PLAIN)]

    def details(self, index: int) -> str:
        """A group's exact bytes and its two steps."""
        if not self.groups:
            return ""
        group = self.groups[index]
        return (f"{group.label}: {exact(group.size)} in {group.files:,} file(s), {group.kind}: "
                f"written by step {group.written_by_step}, killed by step {group.killed_by_step}"
                " · Enter: the killing step · o: the writing step")

    def action_open(self, killing: bool) -> None:
        if self.groups:
            group = self.groups[self.cursor]
            step = group.killed_by_step if killing else group.written_by_step
            self.app.jump(step, group_path(group.label, group.files))


def group_path(label: str, files: int) -> str:
    """The path a waste group's label names: '/tmp/req/ (2 files)' -> '/tmp/req'."""
    if files <= 1:
        return label
    folder = label.rsplit(" (", 1)[0].rstrip("*").rstrip("/")
    return folder or "/"
