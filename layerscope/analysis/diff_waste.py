"""diff's waste section: dead bytes compared path by path, with the steps paired.

A dead version in A and one in B are the same waste when they sit at the same path and were
written and killed by counterpart steps (analysis.step_pairing): an edited RUN still wastes the
same apt lists. Waste the same on both sides (bytes too) is left out and only counted."""

from __future__ import annotations

from dataclasses import dataclass

from .image_report import InspectReport

APPEARED = "appeared"
DISAPPEARED = "disappeared"
CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class WasteChange:
    """Dead bytes at a path that differ between the sides."""

    path: str
    """Where the dead bytes were written."""
    side: str
    """appeared (only B wastes them), disappeared (only A did) or changed (both, other bytes)."""
    size_a: int
    """Dead bytes at that path in A (0 when A has none)."""
    size_b: int
    """Dead bytes at that path in B (0 when B has none)."""
    written_by: str
    """Instruction that wrote them (B's when B has them)."""
    killed_by: str
    """Instruction that removed or replaced them (B's when B has them)."""
    image: str
    """"A" or "B": whose steps written_step and killed_step count (B's when B has them)."""
    written_step: int
    """Index of the step that wrote them, in that image."""
    killed_step: int
    """Index of the step that removed or replaced them, in that image."""

    @property
    def size(self) -> int:
        """The bytes of the side that has them (B's for changed)."""
        return self.size_b if self.side != DISAPPEARED else self.size_a

    @property
    def delta(self) -> int:
        """B - A in bytes."""
        return self.size_b - self.size_a


@dataclass(frozen=True, slots=True)
class WasteComparison:
    """The waste rows and what they leave out."""

    changes: tuple[WasteChange, ...]
    """Rows that differ, largest first."""
    unchanged_paths: int
    """Paths whose waste is the same on both sides (path, bytes, counterpart steps)."""
    unchanged_bytes: int
    """Their dead bytes (on each side)."""


def _waste(report: InspectReport, step_key, covers) -> dict[tuple, list]:
    """(path, writer key, killer key) -> [dead bytes, writer text, killer text, writer step,
    killer step]."""
    totals: dict[tuple, list] = {}
    for item in report.wasted:
        if covers is not None and not covers(item.path):
            continue
        key = (item.path, step_key(item.written_by_step), step_key(item.killed_by_step))
        entry = totals.setdefault(key, [0, report.steps[item.written_by_step].instruction,
                                        report.steps[item.killed_by_step].instruction,
                                        item.written_by_step, item.killed_by_step])
        entry[0] += item.size
    return totals


def compare_waste(a: InspectReport, b: InspectReport, counterpart: dict[int, int],
                  covers=None) -> WasteComparison:
    """Waste that appeared, disappeared or changed bytes; `covers` filters paths (--path)."""
    waste_a = _waste(a, lambda step: ("B", counterpart[step]) if step in counterpart
                     else ("A", step), covers)
    waste_b = _waste(b, lambda step: ("B", step), covers)
    changes, same_paths, same_bytes = [], 0, 0
    for key in waste_a.keys() | waste_b.keys():
        x, y = waste_a.get(key), waste_b.get(key)
        if x is not None and y is not None and x[0] == y[0]:
            same_paths, same_bytes = same_paths + 1, same_bytes + x[0]
            continue
        side = APPEARED if x is None else DISAPPEARED if y is None else CHANGED
        shown = y if y is not None else x
        changes.append(WasteChange(key[0], side, x[0] if x else 0, y[0] if y else 0,
                                   shown[1], shown[2], "A" if y is None else "B", shown[3],
                                   shown[4]))
    changes.sort(key=lambda c: (-max(c.size_a, c.size_b), c.path, c.side, c.written_by))
    return WasteComparison(tuple(changes), same_paths, same_bytes)
