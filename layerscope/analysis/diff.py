"""Comparing two images: sizes, shared layers, steps side by side, files, and waste."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model import EntryKind, FileEntry
from .diff_steps import StepPair, counterparts, pair_steps
from .diff_waste import WasteChange, compare_waste
from .globs import PathGlob
from .image_report import Analysis, InspectReport
from .tree import live_files

__all__ = ["DiffReport", "FileChange", "StepPair", "WasteChange", "diff_images", "group_by_depth"]

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
    """Steps after the shared prefix, each with its counterpart (analysis.step_pairing)."""
    files: tuple[FileChange, ...]
    """Changed paths, most bytes to download first (after --path filtering)."""
    waste: tuple[WasteChange, ...]
    """Dead bytes that appeared, disappeared or changed, largest first."""
    waste_unchanged_paths: int = 0
    """Paths whose waste is the same on both sides, left out of `waste`."""
    waste_unchanged_bytes: int = 0
    """Their dead bytes (on each side)."""
    path_glob: str | None = None
    """--path's glob, or None."""
    path_matches: int = 0
    """Live paths (files and directories) of A or B that --path covers."""
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


def _same_content(x: FileEntry, y: FileEntry) -> bool:
    return (x.kind == y.kind and x.size == y.size and x.content_hash == y.content_hash
            and x.link_target == y.link_target)


def compare_files(files_a: dict[str, FileEntry], files_b: dict[str, FileEntry],
                  covers=None) -> tuple[FileChange, ...]:
    """Added, removed, content-changed and metadata-only paths (directories left out), those a
    pull of B downloads most bytes for first (B's size), then those A had most bytes at."""
    changes = []
    for path in files_a.keys() | files_b.keys():
        if covers is not None and not covers(path):
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
    return tuple(sorted(changes, key=lambda c: (-c.size_b, -c.size_a, c.path)))


def diff_images(a: Analysis, b: Analysis, path_glob: str | None = None) -> DiffReport:
    """Compare two analysed images; `path_glob` (analysis.globs) narrows files and waste."""
    shared_layers, shared_steps = _shared_prefix(a.report, b.report)
    steps = pair_steps(a, b, shared_steps)
    files_a, files_b = live_files(a.merged.final_tree), live_files(b.merged.final_tree)
    covers = None if path_glob is None else PathGlob(path_glob).covers
    waste = compare_waste(a.report, b.report, counterparts(steps, shared_steps), covers)
    return DiffReport(
        a=_side(a.report),
        b=_side(b.report),
        shared_layers=shared_layers,
        shared_steps=shared_steps,
        steps=steps,
        files=compare_files(files_a, files_b, covers),
        waste=waste.changes,
        waste_unchanged_paths=waste.unchanged_paths,
        waste_unchanged_bytes=waste.unchanged_bytes,
        path_glob=path_glob,
        path_matches=0 if covers is None else sum(
            1 for path in files_a.keys() | files_b.keys() if covers(path)),
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
