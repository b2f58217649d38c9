"""Property test: size == visible + wasted on random layer stacks, whatever the whiteouts do."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layerscope.analysis.image_report import analyze, inspect_image
from layerscope.model import EntryKind
from tests.analysis.conftest import build_image
from tests.imagebuilder import directory, file, hardlink, opaque, symlink, whiteout

NAMES = st.sampled_from(["a", "b", "c"])
PATHS = st.lists(NAMES, min_size=1, max_size=3).map("/".join)


@st.composite
def entries(draw):
    written: dict[str, str] = {}
    result = []
    for _ in range(draw(st.integers(0, 6))):
        path = draw(PATHS)
        kind = draw(st.sampled_from(["file", "dir", "symlink", "hardlink", "whiteout", "opaque"]))
        if any(path.startswith(p + "/") for p, k in written.items() if k != "dir"):
            continue  # a tar would not put a member under a file of the same layer
        if path in written:
            continue
        if kind == "file":
            result.append(file(path, b"x" * draw(st.integers(0, 50))))
        elif kind == "dir":
            result.append(directory(path))
        elif kind == "symlink":
            result.append(symlink(path, draw(PATHS)))
        elif kind == "hardlink":
            targets = [p for p, k in written.items() if k == "file"]
            if not targets:
                continue
            result.append(hardlink(path, draw(st.sampled_from(targets))))
        elif kind == "whiteout":
            result.append(whiteout(path))
        else:
            result.append(opaque(path))
        written[path] = kind
    return result


@settings(max_examples=300, deadline=None)
@given(st.lists(entries(), min_size=1, max_size=5))
def test_size_equals_visible_plus_wasted(layers):
    report = inspect_image(build_image(*[(f"RUN step{i}", e) for i, e in enumerate(layers)]))
    assert report.size == report.visible_bytes + report.wasted_bytes
    for step in report.steps:
        assert step.size == step.dead_bytes + step.live_bytes
        assert step.size == step.added_bytes + step.replaced_bytes


def dive_score_plainly(image, whiteout_sizes: dict) -> float:
    """dive's efficiency as dive states it: per path ever seen, smallest size over all sizes."""
    sizes: dict[str, list[int]] = {}
    for position, layer in enumerate(image.layers):
        for entry in layer.files:
            if entry.kind in (EntryKind.DIRECTORY, EntryKind.OPAQUE):
                continue
            if entry.kind == EntryKind.FILE:
                size = entry.size
            elif entry.kind == EntryKind.WHITEOUT:
                size = whiteout_sizes.get((entry.path, position), 0)
            else:
                size = 0
            sizes.setdefault(entry.path, []).append(size)
    total = sum(sum(seen) for seen in sizes.values())
    return 1.0 if total == 0 else sum(min(seen) for seen in sizes.values()) / total


@settings(max_examples=300, deadline=None)
@given(st.lists(entries(), min_size=1, max_size=5))
def test_efficiency_follows_only_repeated_paths_yet_equals_dives_definition(layers):
    image = build_image(*[(f"RUN step{i}", e) for i, e in enumerate(layers)])
    analysis = analyze(image)
    whiteout_sizes = {(path, layer): size
                      for path, layer, size in analysis.merged.whiteout_lower_sizes}
    assert analysis.report.efficiency == pytest.approx(dive_score_plainly(image, whiteout_sizes))
