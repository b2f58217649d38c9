"""The files of one step, as dive shows a layer: every entry its layer holds, marked by what it
did to the filesystem the steps below it left, and the later step that killed it, if one did.

The filesystem below is the merge of the lower layers, so a mark says exactly what the merge
says: `changed` and `metadata-only` are the merge's own `overwritten` and `metadata-only`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import EntryKind, Image
from .image_report import InspectReport
from .merge import METADATA_ONLY, merge_layers
from .tree import find_node, find_version, live_versions

ADDED = "added"
CHANGED = "changed"
REMOVED = "removed"
PRESENT = ""
"""A directory the layer lists that was already there (a tar names every parent again)."""


@dataclass(frozen=True, slots=True)
class StepFile:
    """One entry of the step's layer."""

    path: str
    """Absolute path; for a removal, the path removed (for an opaque marker, its directory)."""
    kind: str
    """file, directory, symlink, hardlink, other, whiteout or opaque."""
    size: int
    """Bytes Docker counts for the entry; for a removal, the lower steps' bytes it hid."""
    change: str
    """added, changed, metadata-only, removed, or '' for a directory already there."""
    lost_to_step: int | None
    """The later step that deleted or replaced this version; None when it stays visible."""


@dataclass(frozen=True, slots=True)
class StepFiles:
    """A step's layer, entry by entry."""

    step: int
    """The step's number (its history position, from 0)."""
    instruction: str
    """Its instruction text."""
    layer_size: int
    """Its layer's bytes, as `docker history` SIZE."""
    files: tuple[StepFile, ...]
    """The layer's entries, in the layer's order."""


def step_files(image: Image, report: InspectReport, step: int) -> StepFiles:
    """The entries of `step`'s layer against the merge of the layers below it (the step must
    have a layer)."""
    layer = report.steps[step].layer
    assert layer is not None, "step_files needs a step with a layer"
    below = merge_layers([item.files for item in image.layers[:layer]]).final_tree
    lost = {item.path: item.killed_by_step for item in report.wasted
            if item.written_by_step == step and item.killed_by_step != step}
    files = []
    for entry in image.layers[layer].files:
        kind = EntryKind(entry.kind)
        if kind in (EntryKind.WHITEOUT, EntryKind.OPAQUE):
            node = find_node(below, entry.path)
            hidden = 0
            if node is not None:
                hidden = sum(v.entry.size for v in live_versions(node)
                             if kind == EntryKind.WHITEOUT or v is not node.version)
            files.append(StepFile(entry.path, kind.name.lower(), hidden, REMOVED, None))
            continue
        old = find_version(below, entry.path)
        if old is None and kind == EntryKind.DIRECTORY and find_node(below, entry.path):
            change = PRESENT  # a parent the lower layers implied without listing it
        elif old is None:
            change = ADDED
        elif kind == EntryKind.DIRECTORY and old.entry.kind == EntryKind.DIRECTORY:
            change = PRESENT
        elif (old.entry.kind == entry.kind and old.entry.size == entry.size
              and old.entry.content_hash == entry.content_hash
              and old.entry.link_target == entry.link_target):
            change = METADATA_ONLY
        else:
            change = CHANGED
        files.append(StepFile(entry.path, kind.name.lower(), entry.size, change,
                              lost.get(entry.path)))
    instruction = report.steps[step].instruction
    return StepFiles(step, instruction, image.layers[layer].size, tuple(files))
