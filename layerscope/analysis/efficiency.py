"""dive's efficiency score, computed the way dive computes it, for users migrating from dive.

For every path seen in any layer: the smallest size it was ever seen with, over the sum of all
sizes it was seen with. Sizes are tar header sizes (symlinks and links 0), and a whiteout counts
the file bytes of the directory it removed (0 for a removed file). Opaque markers are ignored, as
dive ignores them. layerscope's own headline is the exact wasted bytes, not this score.
"""

from __future__ import annotations

from itertools import starmap
from operator import itemgetter, sub

from ..model import EntryKind, FileEntry
from .merge import DUPLICATE_MEMBER, MergeResult, Node
from .tree import find_node

FILE, DIRECTORY = EntryKind.FILE, EntryKind.DIRECTORY
PATH_KIND_SIZE = itemgetter(0, 1, 2)


def dive_efficiency(layers: list[tuple[FileEntry, ...]], merged: MergeResult) -> float:
    """The score in [0, 1]; 1.0 for an image with no file bytes at all."""
    # The score is (total - excess) / total, the excess summed over paths seen more than once.
    # A path is seen twice only if a version at it died or a whiteout named it, and what was
    # seen there is its dead versions, its whiteouts and its live version: the merge lists the
    # first two and the final tree holds the third, so the layers' entries are only summed
    # (following every entry at those paths through the layers cost 0.2 s on 393k entries).
    total = 0
    for entries in layers:
        total += sum([entry.size for entry in entries if entry.kind == FILE])
    sizes_seen = _dead_sizes(merged.dead_entries)  # path -> [cumulative, smallest]
    get = sizes_seen.get
    for path, _, size in _whiteouts(merged):
        total += size
        seen = get(path)
        if seen is None:
            sizes_seen[path] = [size, size]
        else:
            seen[0] += size
            if size < seen[1]:
                seen[1] = size
    if total == 0:
        return 1.0
    _see_live(sizes_seen, merged.final_tree)
    excess = sum(starmap(sub, sizes_seen.values()))  # cumulative - smallest, path by path
    return (total - excess) / total


def _dead_sizes(entries: tuple[FileEntry, ...]) -> dict[str, list[int]]:
    """Path -> [cumulative, smallest] of the sizes dive sees of its dead versions (never a
    directory: the merge lists none)."""
    sizes_seen: dict[str, list[int]] = {}
    get = sizes_seen.get
    for path, kind, size in map(PATH_KIND_SIZE, entries):
        if kind != FILE:
            size = 0
        seen = get(path)
        if seen is None:
            sizes_seen[path] = [size, size]
        else:
            seen[0] += size
            if size < seen[1]:
                seen[1] = size
    return sizes_seen


def _whiteouts(merged: MergeResult):
    """(path, layer, size dive sees) of every whiteout."""
    whiteouts = merged.whiteout_lower_sizes
    if any(kind == DUPLICATE_MEMBER for kind, _, _ in merged.anomalies):
        # a path whited out twice in one layer counts the last whiteout's size for both
        last_sizes = {(path, layer): size for path, layer, size in whiteouts}
        whiteouts = [(path, layer, last_sizes[path, layer]) for path, layer, _ in whiteouts]
    return whiteouts


def _see_live(sizes_seen: dict[str, list[int]], root: Node) -> None:
    """Add the live version at each path seen, found in the final tree under its directory;
    each directory is looked up once (big-churn's 90k paths switch directory 28k times)."""
    children_of: dict[str, dict | None] = {}
    get = children_of.get
    for path, seen in sizes_seen.items():
        directory, _, name = path.rpartition("/")
        children = get(directory, False)
        if children is False:
            node = find_node(root, directory)
            children = children_of[directory] = None if node is None else node.children
        node = children.get(name) if children else None
        if node is None or node.version is None:
            continue
        kind, size = node.version.entry[1:3]
        if kind == DIRECTORY:
            continue
        if kind != FILE:
            size = 0
        seen[0] += size
        if size < seen[1]:
            seen[1] = size
