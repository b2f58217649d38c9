"""Property test: size == visible + wasted on random layer stacks, whatever the whiteouts do.

The paths include the layer root (an opaque marker there) and paths below a symlink or file an
earlier layer wrote, the shapes issue 13 found mishandled."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layerscope.analysis.image_report import analyze
from layerscope.model import EntryKind
from tests.analysis.conftest import build_image
from tests.imagebuilder import directory, file, hardlink, opaque, symlink, whiteout

NAMES = st.sampled_from(["a", "b", "c"])
PATHS = st.lists(NAMES, min_size=1, max_size=3).map("/".join)


@st.composite
def entries(draw, lower_links: list[str] | None = None):
    """One layer's entries; lower_links collects the symlinks and files written so far, so later
    layers can put entries below them."""
    lower_links = [] if lower_links is None else lower_links
    written: dict[str, str] = {}
    result = []
    for _ in range(draw(st.integers(0, 6))):
        path = draw(PATHS)
        if lower_links and draw(st.integers(0, 3)) == 0:
            path = draw(st.sampled_from(lower_links)) + "/" + draw(NAMES)  # below a lower symlink
        kind = draw(st.sampled_from(["file", "dir", "symlink", "hardlink", "whiteout", "opaque"]))
        if kind == "opaque" and draw(st.integers(0, 3)) == 0:
            path = ""  # the layer root: ./.wh..wh..opq
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
    lower_links.extend(p for p, k in written.items() if k in ("symlink", "file") and p not in lower_links)
    return result


@st.composite
def stacks(draw):
    """1 to 5 layers, each able to write below the symlinks and files of the layers before it."""
    lower_links: list[str] = []
    return [draw(entries(lower_links)) for _ in range(draw(st.integers(1, 5)))]


def assert_never_both(node, path="") -> None:
    """No path is both a symlink (or file) and a directory of a later layer's entries."""
    version = node.version
    for name, child in (node.children or {}).items():
        if version is not None and version.entry.kind != EntryKind.DIRECTORY:
            assert _layers_below(child) <= {version.layer}, path  # only its own layer's (kept)
        assert_never_both(child, f"{path}/{name}")


def _layers_below(node) -> set[int]:
    found = {node.version.layer} if node.version is not None else set()
    for child in (node.children or {}).values():
        found |= _layers_below(child)
    return found


@settings(max_examples=300, deadline=None)
@given(stacks())
def test_size_equals_visible_plus_wasted(layers):
    analysis = analyze(build_image(*[(f"RUN step{i}", e) for i, e in enumerate(layers)]))
    report = analysis.report
    assert report.size == report.visible_bytes + report.wasted_bytes
    assert_never_both(analysis.merged.final_tree)
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
@given(stacks())
def test_efficiency_follows_only_repeated_paths_yet_equals_dives_definition(layers):
    image = build_image(*[(f"RUN step{i}", e) for i, e in enumerate(layers)])
    analysis = analyze(image)
    whiteout_sizes = {(path, layer): size
                      for path, layer, size in analysis.merged.whiteout_lower_sizes}
    assert analysis.report.efficiency == pytest.approx(dive_score_plainly(image, whiteout_sizes))
