"""Per-step listings of STORY (tests/explore/conftest.py), every figure from its description."""

from __future__ import annotations

from layerscope.analysis.step_tree import (
    ADDED,
    CHANGED,
    CHANGES,
    FILESYSTEM,
    GONE,
    METADATA,
    UNCHANGED,
)


def listing(tree, path, layer, mode):
    """(name, bytes, mark, entries) of each row of a directory."""
    return [(row.name, row.size, row.mark, row.entries)
            for row in tree.directory(path, layer, mode)]


def test_the_report_matches_the_description(story):
    report, _ = story
    assert (report.size, report.visible_bytes, report.wasted_bytes) == (11720, 6120, 5600)
    assert [step.layer for step in report.steps] == [0, None, 1, 2, 3, None]


def test_the_first_layer_adds_everything(story):
    _, tree = story
    assert listing(tree, "/", 0, CHANGES) == [
        ("bin", 1000, ADDED, 1), ("etc", 100, ADDED, 1), ("tmp", 0, ADDED, 0)]
    assert listing(tree, "/", 0, FILESYSTEM) == listing(tree, "/", 0, CHANGES)


def test_install_step_changes_and_filesystem(story):
    _, tree = story
    # layer 1 (step 2) wrote passwd again (120 B), 500 B under /tmp/cache and /usr/lib/big
    assert listing(tree, "/", 1, CHANGES) == [
        ("etc", 120, CHANGED, 1), ("tmp", 500, CHANGED, 2), ("usr", 5000, ADDED, 1)]
    assert listing(tree, "/etc", 1, CHANGES) == [("passwd", 120, CHANGED, 1)]
    assert listing(tree, "/tmp/cache", 1, CHANGES) == [("a", 300, ADDED, 1),
                                                       ("b", 200, ADDED, 1)]
    # the filesystem after it also shows /bin, untouched
    assert listing(tree, "/", 1, FILESYSTEM) == [
        ("bin", 1000, UNCHANGED, 1), ("etc", 120, CHANGED, 1), ("tmp", 500, CHANGED, 2),
        ("usr", 5000, ADDED, 1)]


def test_chmod_is_metadata_only(story):
    _, tree = story
    assert listing(tree, "/usr/lib", 2, CHANGES) == [("big", 5000, METADATA, 1)]
    assert listing(tree, "/", 2, CHANGES) == [("usr", 5000, CHANGED, 1)]
    # the filesystem still holds 5,000 B under /usr: one copy visible, not two
    assert ("usr", 5000, CHANGED, 1) in listing(tree, "/", 2, FILESYSTEM)


def test_whiteout_removes_the_directory(story):
    _, tree = story
    assert listing(tree, "/tmp", 3, CHANGES) == [("cache", 500, GONE, 2)]
    assert listing(tree, "/tmp/cache", 3, FILESYSTEM) == [("a", 300, GONE, 1),
                                                          ("b", 200, GONE, 1)]
    # /tmp itself stays (its own entry is from layer 0), empty
    assert ("tmp", 0, CHANGED, 0) in listing(tree, "/", 3, FILESYSTEM)
    # the final filesystem's bytes are the visible bytes
    assert sum(row[1] for row in listing(tree, "/", 3, FILESYSTEM)) == 6120


def test_entry_finds_one_path(story):
    _, tree = story
    entry = tree.entry("/usr/lib/big", 2, CHANGES)
    assert (entry.path, entry.size, entry.mark) == ("/usr/lib/big", 5000, METADATA)
    assert tree.entry("/usr/lib/big", 0, FILESYSTEM) is None
    assert tree.entry("/", 3, FILESYSTEM).size == 6120
