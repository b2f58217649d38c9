"""Comparing two images: sizes, shared layers, steps side by side, files, and waste."""

from __future__ import annotations

import difflib
import fnmatch
import itertools
from dataclasses import dataclass
from typing import Any

from ..model import EntryKind, FileEntry
from .image_report import Analysis, InspectReport
from .tree import live_files

ADDED = "added"
REMOVED = "removed"
CHANGED = "changed"
METADATA = "metadata-only"


@dataclass(frozen=True, slots=True)
class Side:
    """One image's headline figures."""

    ref: str
    """The reference as given."""
    image_id: str
    """Config digest."""
    size: int
    """Total bytes."""
    visible_bytes: int
    """Live bytes."""
    wasted_bytes: int
    """Dead bytes."""
    compressed_size: int | None
    """Sum of compressed layer blobs when every layer's is known, else None."""
    layer_count: int
    """Number of layers."""


@dataclass(frozen=True, slots=True)
class StepPair:
    """A step of A and its counterpart in B (either may be missing)."""

    step_a: int | None
    """Step index in A, or None when only B has it."""
    step_b: int | None
    """Step index in B, or None when only A has it."""
    instruction_a: str | None
    """Readable instruction in A."""
    instruction_b: str | None
    """Readable instruction in B."""
    size_a: int
    """Layer bytes in A (0 when absent or empty)."""
    size_b: int
    """Layer bytes in B."""

    @property
    def delta(self) -> int:
        """B - A in bytes."""
        return self.size_b - self.size_a


@dataclass(frozen=True, slots=True)
class FileChange:
    """A path whose final-filesystem entry differs between A and B."""

    path: str
    """Absolute path."""
    change: str
    """added, removed, changed (content) or metadata-only."""
    size_a: int
    """Bytes in A (0 when absent)."""
    size_b: int
    """Bytes in B (0 when absent)."""

    @property
    def delta(self) -> int:
        """B - A in bytes."""
        return self.size_b - self.size_a


@dataclass(frozen=True, slots=True)
class WasteChange:
    """Dead bytes at a path that only one side has."""

    path: str
    """Where the dead bytes were written."""
    side: str
    """"appeared" (only B wastes them) or "disappeared" (only A did)."""
    size: int
    """Dead bytes at that path on that side."""
    written_by: str
    """Instruction that wrote them."""
    killed_by: str
    """Instruction that removed or replaced them."""


@dataclass(frozen=True, slots=True)
class DiffReport:
    """Everything `diff` shows, as plain data."""

    a: Side
    """The first image."""
    b: Side
    """The second image."""
    shared_layers: int
    """Leading layers with the same diff IDs."""
    shared_steps: int
    """Leading steps identical on both sides (same instruction, same layer)."""
    steps: tuple[StepPair, ...]
    """Steps after the shared prefix, aligned."""
    files: tuple[FileChange, ...]
    """Changed paths, largest |delta| first (after --path filtering)."""
    waste: tuple[WasteChange, ...]
    """Dead bytes that appeared or disappeared, largest first."""
    growth: Any = None
    """--fail-on-growth's verdict (a rules.budgets BudgetResult, judged a floor above), or None."""

    @property
    def size_delta(self) -> int:
        """B - A in bytes."""
        return self.b.size - self.a.size

    @property
    def identical(self) -> bool:
        """True when both images have the same layers (so the same files and bytes)."""
        return self.a.layer_count == self.b.layer_count == self.shared_layers


def _side(report: InspectReport) -> Side:
    blobs = [layer.compressed_size for layer in report.layers]
    compressed = None if any(c is None for c in blobs) else sum(blobs)
    return Side(report.ref, report.image_id, report.size, report.visible_bytes,
                report.wasted_bytes, compressed, len(report.layers))


def _shared_prefix(a: InspectReport, b: InspectReport) -> tuple[int, int]:
    layers = 0
    for layer_a, layer_b in zip(a.layers, b.layers):
        if layer_a.diff_id != layer_b.diff_id:
            break
        layers += 1
    steps = 0
    for step_a, step_b in zip(a.steps, b.steps):
        same_layer = (step_a.layer is None and step_b.layer is None) or (
            step_a.layer is not None and step_b.layer is not None
            and step_a.layer < layers and step_a.layer == step_b.layer)
        if step_a.instruction != step_b.instruction or not same_layer:
            break
        steps += 1
    return layers, steps


def pair_steps(a: InspectReport, b: InspectReport, shared_steps: int) -> tuple[StepPair, ...]:
    """Pair the steps after the shared prefix: identical instructions first, then by position."""
    rest_a, rest_b = a.steps[shared_steps:], b.steps[shared_steps:]
    matcher = difflib.SequenceMatcher(a=[s.instruction for s in rest_a],
                                      b=[s.instruction for s in rest_b], autojunk=False)
    pairs = []
    for _, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        for step_a, step_b in itertools.zip_longest(rest_a[a_start:a_end], rest_b[b_start:b_end]):
            pairs.append(StepPair(
                step_a.index if step_a else None, step_b.index if step_b else None,
                step_a.instruction if step_a else None, step_b.instruction if step_b else None,
                step_a.size if step_a else 0, step_b.size if step_b else 0))
    return tuple(pairs)


def _same_content(x: FileEntry, y: FileEntry) -> bool:
    return (x.kind == y.kind and x.size == y.size and x.content_hash == y.content_hash
            and x.link_target == y.link_target)


def compare_files(files_a: dict[str, FileEntry], files_b: dict[str, FileEntry],
                  path_glob: str | None = None) -> tuple[FileChange, ...]:
    """Added, removed, content-changed and metadata-only paths (directories left out)."""
    changes = []
    for path in files_a.keys() | files_b.keys():
        if path_glob and not fnmatch.fnmatchcase(path, path_glob):
            continue
        x, y = files_a.get(path), files_b.get(path)
        if (x is not None and x.kind == EntryKind.DIRECTORY) or (
                y is not None and y.kind == EntryKind.DIRECTORY):
            if x is None or y is None or x.kind == y.kind:
                continue  # a directory's own entry carries no bytes; its files are listed
        if x is None:
            changes.append(FileChange(path, ADDED, 0, y.size))
        elif y is None:
            changes.append(FileChange(path, REMOVED, x.size, 0))
        elif not _same_content(x, y):
            changes.append(FileChange(path, CHANGED, x.size, y.size))
        elif (x.mode, x.uid, x.gid) != (y.mode, y.uid, y.gid):
            changes.append(FileChange(path, METADATA, x.size, y.size))
    return tuple(sorted(changes, key=lambda c: (-abs(c.delta), c.path)))


def _waste_by_cause(report: InspectReport) -> dict[tuple[str, str, str], int]:
    """(path, writing instruction, killing instruction) -> dead bytes."""
    totals: dict[tuple[str, str, str], int] = {}
    for item in report.wasted:
        key = (item.path, report.steps[item.written_by_step].instruction,
               report.steps[item.killed_by_step].instruction)
        totals[key] = totals.get(key, 0) + item.size
    return totals


def compare_waste(a: InspectReport, b: InspectReport) -> tuple[WasteChange, ...]:
    """Dead bytes that only one side has: same path, same writing and killing instructions."""
    waste_a, waste_b = _waste_by_cause(a), _waste_by_cause(b)
    changes = [WasteChange(path, "appeared", waste_b[(path, writer, killer)], writer, killer)
               for path, writer, killer in waste_b.keys() - waste_a.keys()]
    changes += [WasteChange(path, "disappeared", waste_a[(path, writer, killer)], writer, killer)
                for path, writer, killer in waste_a.keys() - waste_b.keys()]
    return tuple(sorted(changes, key=lambda c: (-c.size, c.path, c.side, c.written_by)))


def diff_images(a: Analysis, b: Analysis, path_glob: str | None = None) -> DiffReport:
    """Compare two analysed images."""
    shared_layers, shared_steps = _shared_prefix(a.report, b.report)
    return DiffReport(
        a=_side(a.report),
        b=_side(b.report),
        shared_layers=shared_layers,
        shared_steps=shared_steps,
        steps=pair_steps(a.report, b.report, shared_steps),
        files=compare_files(live_files(a.merged.final_tree), live_files(b.merged.final_tree),
                            path_glob),
        waste=compare_waste(a.report, b.report),
    )


@dataclass(frozen=True, slots=True)
class DirectoryChange:
    """File changes summed under one directory (for --depth)."""

    path: str
    """The directory, cut to the requested depth."""
    file_count: int
    """Changed files under it."""
    size_a: int
    """Their bytes in A."""
    size_b: int
    """Their bytes in B."""

    @property
    def delta(self) -> int:
        """B - A in bytes."""
        return self.size_b - self.size_a


def group_by_depth(files: tuple[FileChange, ...], depth: int) -> tuple[DirectoryChange, ...]:
    """Sum file changes by their first `depth` path components, largest |delta| first."""
    totals: dict[str, list[int]] = {}
    for change in files:
        parts = change.path.strip("/").split("/")
        key = "/" + "/".join(parts[:depth]) if len(parts) > depth else change.path
        total = totals.setdefault(key, [0, 0, 0])
        total[0] += 1
        total[1] += change.size_a
        total[2] += change.size_b
    groups = [DirectoryChange(path, count, size_a, size_b)
              for path, (count, size_a, size_b) in totals.items()]
    return tuple(sorted(groups, key=lambda g: (-abs(g.delta), g.path)))
