"""Contributors to wasted bytes: the step pairs (writer -> killer) and the path groups."""

from __future__ import annotations

import posixpath

from ...analysis.image_report import InspectReport
from .base import Contributor


def wasted_steps(report: InspectReport, top: int, user_only: bool = False) -> list[Contributor]:
    """(writing step, killing step) pairs, largest first."""
    pairs = [(dead, step, killer) for step in report.steps if not (user_only and step.base)
             for killer, dead in step.dead_by_step if dead > 0]
    pairs.sort(key=lambda p: (-p[0], p[1].index, p[2]))
    return [Contributor("step", step.instruction, dead, step.index,
                        f"dead: removed or replaced by step {killer}: "
                        f"{report.steps[killer].instruction}")
            for dead, step, killer in pairs[:top]]


def wasted_paths(report: InspectReport, top: int, user_only: bool = False) -> list[Contributor]:
    """Dead versions folded by the directory they died in (one removed directory = one row)."""
    groups: dict[tuple[str, bool, int, int, str], list[int]] = {}
    singles: dict[tuple[str, bool, int, int, str], str] = {}
    for item in report.wasted:
        if item.size == 0 or (user_only and report.steps[item.written_by_step].base):
            continue
        root = item.removal_root.rstrip("/")
        under_root = root != item.path and item.path.startswith(root + "/")
        folder = root if under_root else posixpath.dirname(item.path)
        key = (folder, under_root, item.written_by_step, item.killed_by_step, item.kind)
        groups.setdefault(key, []).append(item.size)
        singles[key] = item.path
    rows = []
    for key, sizes in groups.items():
        folder, under_root, written, killed, kind = key
        if len(sizes) == 1:
            label = singles[key]
        else:
            label = f"{folder.rstrip('/')}/{'' if under_root else '*'} ({len(sizes)} files)"
        rows.append(Contributor("path", label, sum(sizes), written,
                                f"{kind}: written by step {written}, killed by step {killed}"))
    rows.sort(key=lambda c: (-(c.bytes or 0), c.label))
    return rows[:top]


def wasted_contributors(report: InspectReport, top: int, user_only: bool = False
                        ) -> tuple[Contributor, ...]:
    """The steps, then the paths, that hold the wasted bytes."""
    return tuple(wasted_steps(report, top, user_only) + wasted_paths(report, top, user_only))
