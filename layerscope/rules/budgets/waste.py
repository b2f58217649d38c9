"""Contributors to wasted bytes: the step pairs (writer -> killer) and the path groups."""

from __future__ import annotations

from ...analysis.image_report import InspectReport
from ..waste_groups import group_wasted
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
    """Dead versions in inspect's groups (rules/waste_groups.py), largest first."""
    wasted = [item for item in report.wasted
              if not (user_only and report.steps[item.written_by_step].base)]
    groups = [group for group in group_wasted(wasted) if group.size]
    return [Contributor("path", group.label, group.size, group.written_by_step,
                        f"{group.kind}: written by step {group.written_by_step}, killed by step "
                        f"{group.killed_by_step}")
            for group in groups[:top]]


def wasted_contributors(report: InspectReport, top: int, user_only: bool = False
                        ) -> tuple[Contributor, ...]:
    """The steps, then the paths, that hold the wasted bytes."""
    return tuple(wasted_steps(report, top, user_only) + wasted_paths(report, top, user_only))
