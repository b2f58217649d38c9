"""The filesystem as each step leaves it, and each step's changes, read from the merged index.

A version is visible after layer L when it was written at or below L and not killed at or
below L; the merge records both layers for every dead version, and every live version is in the
final tree, so any step's filesystem can be listed without stacking the layers again. Listing is
lazy, one directory at a time: only the directories' byte and entry counts are computed up
front, in one walk that adds each version to its own directory and then folds the directories
into their parents (a million files cost one pass; a directory's listing costs its entries).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import EntryKind
from .image_report import Analysis
from .merge import METADATA_ONLY
from .tree import Node

ADDED = "added"
CHANGED = "changed"
METADATA = METADATA_ONLY
GONE = "removed"
UNCHANGED = "unchanged"
MARKS = (ADDED, CHANGED, METADATA, GONE, UNCHANGED)
FILESYSTEM = "filesystem"
CHANGES = "changes"
LIVE = 1 << 30  # the killing layer of a version nothing killed


@dataclass(frozen=True, slots=True)
class TreeEntry:
    """One row of a directory listing at one step."""

    name: str
    """The last path component."""
    path: str
    """Absolute path."""
    is_dir: bool
    """True for a directory (it can be expanded)."""
    size: int
    """Bytes: a file's own; a directory's, what it holds after the step (filesystem view) or
    what the step wrote under it (changes view); for a removed entry, the bytes it took away."""
    mark: str
    """added, changed, metadata-only, removed or unchanged, relative to the step before."""
    entries: int
    """A directory's files and links below it that the size counts; 1 for a file."""


class _Spot:
    """A path of the dead-version trie: its children and the (written, killed, size, kind) of
    every dead version written at it."""

    __slots__ = ("children", "spans")

    def __init__(self) -> None:
        self.children: dict[str, _Spot] | None = None
        self.spans: list[tuple[int, int, int, str]] | None = None


class _Totals:
    """One directory's bytes and entries written and killed under it, per layer."""

    __slots__ = ("written", "killed", "wcount", "kcount", "node", "spot", "own_layer")

    def __init__(self, layers: int) -> None:
        self.written = [0] * layers
        self.killed = [0] * layers
        self.wcount = [0] * layers
        self.kcount = [0] * layers
        self.node: Node | None = None
        self.spot: _Spot | None = None
        # the lowest layer of a directory entry at or below it: a directory with only
        # directories in it exists from there on
        self.own_layer = LIVE

    def fold(self, child: _Totals) -> None:
        self.own_layer = min(self.own_layer, child.own_layer)
        for series, other in ((self.written, child.written), (self.killed, child.killed),
                              (self.wcount, child.wcount), (self.kcount, child.kcount)):
            for layer, value in enumerate(other):
                if value:
                    series[layer] += value

    def after(self, layer: int) -> tuple[int, int]:
        """(bytes, entries) under the directory once `layer` is applied."""
        size = sum(self.written[: layer + 1]) - sum(self.killed[: layer + 1])
        count = sum(self.wcount[: layer + 1]) - sum(self.kcount[: layer + 1])
        return size, count


def _linked_sizes(analysis: Analysis) -> dict[tuple[int, str], int]:
    """The own bytes of dead versions the merge lists with 0 because a hard link of theirs
    still shows the content; until killed, the path itself showed those bytes."""
    wanted: dict[int, set[str]] = {}
    for dead in analysis.merged.dead:
        if not dead.size:
            wanted.setdefault(dead.written_by_layer, set()).add(dead.path)
    if not wanted or analysis.image is None:
        return {}
    sizes = {}
    for layer, paths in wanted.items():
        for entry in analysis.image.layers[layer].files:
            if entry.size and entry.path in paths and entry.kind == EntryKind.FILE:
                sizes[(layer, entry.path)] = entry.size
    return sizes


class StepTree:
    """Directory listings of any step's filesystem or changes."""

    def __init__(self, analysis: Analysis) -> None:
        self.layers = len(analysis.report.layers)
        self.root = analysis.merged.final_tree
        self.dead_root = _Spot()
        self.dirs: dict[str, _Totals] = {}
        self._walk_final()
        self._add_dead(analysis)
        self._fold()

    # -- building ------------------------------------------------------------------------------

    def _totals(self, path: str) -> _Totals:
        totals = self.dirs.get(path)
        if totals is None:
            totals = self.dirs[path] = _Totals(self.layers)
        return totals

    def _walk_final(self) -> None:
        top = self._totals("/")
        top.node = self.root
        stack: list[tuple[Node, str, _Totals]] = [(self.root, "", top)]
        directory = EntryKind.DIRECTORY
        while stack:
            node, prefix, totals = stack.pop()
            for name, child in node.children.items():
                version = child.version
                path = prefix + "/" + name
                if version is not None and version.entry.kind != directory:
                    # a file, even where an emptied directory node was left at its path
                    totals.written[version.layer] += version.entry.size
                    totals.wcount[version.layer] += 1
                elif version is not None or child.children is not None:
                    sub = self._totals(path)
                    sub.node = child
                    if version is not None:
                        sub.own_layer = version.layer
                    if child.children:
                        stack.append((child, path, sub))

    def _add_dead(self, analysis: Analysis) -> None:
        sizes = _linked_sizes(analysis)
        for dead in analysis.merged.dead:
            spot = self.dead_root
            for name in dead.path.split("/")[1:]:
                if spot.children is None:
                    spot.children = {}
                child = spot.children.get(name)
                if child is None:
                    child = spot.children[name] = _Spot()
                spot = child
            if spot.spans is None:
                spot.spans = []
            written, killed = dead.written_by_layer, dead.killed_by_layer
            size = sizes.get((written, dead.path), dead.size) if not dead.size else dead.size
            spot.spans.append((written, killed, size, dead.kind))
            totals = self._totals(dead.path.rpartition("/")[0] or "/")
            totals.written[written] += size
            totals.wcount[written] += 1
            totals.killed[killed] += size
            totals.kcount[killed] += 1

    def _fold(self) -> None:
        # a directory only dead versions name may have ancestors nothing else named
        for path in list(self.dirs):
            while path != "/":
                path = path.rpartition("/")[0] or "/"
                if path in self.dirs:
                    break
                self._totals(path)
        for path in sorted(self.dirs, key=lambda p: -p.count("/")):
            if path == "/":
                continue
            parent = path.rpartition("/")[0] or "/"
            self._totals(parent).fold(self.dirs[path])
        # a directory only the dead versions name is found in the dead trie
        for path, totals in self.dirs.items():
            totals.spot = self._spot(path)

    def _spot(self, path: str) -> _Spot | None:
        spot = self.dead_root
        for name in path.split("/")[1:]:
            if not name:
                continue
            if spot.children is None or name not in spot.children:
                return None
            spot = spot.children[name]
        return spot

    # -- listing -------------------------------------------------------------------------------

    def directory(self, path: str, layer: int, mode: str) -> list[TreeEntry]:
        """The entries of a directory after `layer` (FILESYSTEM, removed ones included, marked
        against the layer before) or only those `layer` wrote or removed (CHANGES), by name."""
        totals = self.dirs.get(path)
        if totals is None:
            return []
        node_children = totals.node.children if totals.node is not None else None
        spot_children = totals.spot.children if totals.spot is not None else None
        names = set(node_children or ()) | set(spot_children or ())
        prefix = "" if path == "/" else path
        rows = []
        for name in sorted(names):
            child_path = prefix + "/" + name
            # one path may be a directory at some steps and a file at others
            node = node_children.get(name) if node_children else None
            spot = spot_children.get(name) if spot_children else None
            row = self._file_row(name, child_path, node, spot, layer, mode)
            sub = self.dirs.get(child_path)
            if sub is not None and (row is None or row.mark == GONE):
                row = self._directory_row(name, child_path, sub, layer, mode) or row
            if row is not None:
                rows.append(row)
        return rows

    def _directory_row(self, name: str, path: str, totals: _Totals, layer: int,
                       mode: str) -> TreeEntry | None:
        size, count = totals.after(layer)
        before_size, before_count = totals.after(layer - 1) if layer else (0, 0)
        exists_now = count > 0 or totals.own_layer <= layer
        existed = before_count > 0 or totals.own_layer < layer
        touched = totals.wcount[layer] or totals.kcount[layer]
        if not existed and not exists_now:
            return None
        if existed and not exists_now:
            return TreeEntry(name, path, True, before_size, GONE, before_count)
        if not existed:
            mark = ADDED
        else:
            mark = CHANGED if touched else UNCHANGED
        if mode == CHANGES:
            if not touched and mark != ADDED:
                return None
            return TreeEntry(name, path, True, totals.written[layer], mark, totals.wcount[layer])
        return TreeEntry(name, path, True, size, mark, count)

    @staticmethod
    def _file_row(name: str, path: str, node: Node | None, spot: _Spot | None, layer: int,
                  mode: str) -> TreeEntry | None:
        spans = list(spot.spans) if spot is not None and spot.spans else []
        if node is not None and node.version is not None and (
                node.version.entry.kind != EntryKind.DIRECTORY):
            spans.append((node.version.layer, LIVE, node.version.entry.size, ""))
        if not spans:
            return None
        now = before = None
        for span in spans:
            written, killed = span[0], span[1]
            if written <= layer < killed:
                now = span
            if written < layer and killed == layer:
                before = span
        if now is None and before is None:
            return None
        if now is None:
            return TreeEntry(name, path, False, before[2], GONE, 1)
        if now[0] != layer:
            return None if mode == CHANGES else TreeEntry(name, path, False, now[2], UNCHANGED, 1)
        if before is None:
            mark = ADDED
        elif before[3] == METADATA_ONLY:
            mark = METADATA
        else:
            mark = CHANGED
        return TreeEntry(name, path, False, now[2], mark, 1)

    def entry(self, path: str, layer: int, mode: str) -> TreeEntry | None:
        """The row of one path at a step (for the details line and for jumping to a path)."""
        if path == "/":
            size, count = self.dirs["/"].after(layer)
            return TreeEntry("/", "/", True, size, UNCHANGED, count)
        parent, _, name = path.rpartition("/")
        for row in self.directory(parent or "/", layer, mode):
            if row.name == name:
                return row
        return None
