"""Property test: the filesystem StepTree lists after each step, and the bytes it says the root
holds, are those that merging only the layers up to that step gives (an independent
computation: analysis.merge on the prefix)."""

from __future__ import annotations

import tarfile

from hypothesis import assume, given, settings

from layerscope.analysis.image_report import analyze
from layerscope.analysis.merge import merge_layers
from layerscope.analysis.step_tree import CHANGES, FILESYSTEM, GONE, StepTree
from layerscope.analysis.tree import live_entries, live_versions
from layerscope.model import EntryKind
from tests.analysis.conftest import build_image
from tests.analysis.test_invariant import stacks


def listed_files(tree: StepTree, layer: int, mode: str = FILESYSTEM) -> set[tuple[str, int]]:
    """(path, bytes) of every non-directory a view shows after `layer`, removed ones left out."""
    found, pending = set(), ["/"]
    while pending:
        for row in tree.directory(pending.pop(), layer, mode):
            if row.mark == GONE:
                continue
            if row.is_dir:
                pending.append(row.path)
            else:
                found.add((row.path, row.size))
    return found


@settings(max_examples=300, deadline=None)
@given(stacks())
def test_each_steps_filesystem_is_the_merge_of_its_prefix(layers):
    # Without hard links: the merge reports a hard-linked file's death when its content died
    # (its last link), not when its own path did, so a path that died before its last link is
    # listed until then (a known limit of reading the merge's dead versions, see
    # docs/explore.md).
    assume(not any(entry.type == tarfile.LNKTYPE for layer in layers for entry in layer))
    image = build_image(*[(f"RUN step{i}", e) for i, e in enumerate(layers)])
    tree = StepTree(analyze(image))
    for layer in range(len(image.layers)):
        prefix = merge_layers([each.files for each in image.layers[: layer + 1]])
        expected = {(entry.path, entry.size) for entry in live_entries(prefix.final_tree)
                    if entry.kind != EntryKind.DIRECTORY}
        assert listed_files(tree, layer) == expected, layer
        # and the directories' sizes add up to the bytes visible after the prefix
        assert tree.entry("/", layer, FILESYSTEM).size == prefix.visible_bytes, layer
        # the step's changes: what it wrote that is visible after it
        written = {(version.entry.path, version.entry.size)
                   for version in live_versions(prefix.final_tree)
                   if version.layer == layer and version.entry.kind != EntryKind.DIRECTORY}
        assert listed_files(tree, layer, CHANGES) == written, layer
