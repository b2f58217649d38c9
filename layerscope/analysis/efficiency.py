"""dive's efficiency score, computed the way dive computes it, for users migrating from dive.

For every path seen in any layer: the smallest size it was ever seen with, over the sum of all
sizes it was seen with. Sizes are tar header sizes (symlinks and links 0), and a whiteout counts
the file bytes of the directory it removed (0 for a removed file). Opaque markers are ignored, as
dive ignores them. layerscope's own headline is the exact wasted bytes, not this score.
"""

from __future__ import annotations

from ..model import EntryKind, FileEntry
from .merge import MergeResult
from .tree import find_node

FILE, DIRECTORY = EntryKind.FILE, EntryKind.DIRECTORY


def dive_efficiency(layers: list[tuple[FileEntry, ...]], merged: MergeResult) -> float:
    """The score in [0, 1]; 1.0 for an image with no file bytes at all."""
    # The score is (total - excess) / total, the excess summed over paths seen more than once.
    # A path is seen twice only if a version at it died or a whiteout named it, and what was
    # seen there is its dead versions, its whiteouts and its live version: the merge lists the
    # first two and the final tree holds the third, so the layers' entries are only summed.
    total = 0
    for entries in layers:
        total += sum([entry.size for entry in entries if entry.kind == FILE])
    sizes_seen: dict[str, list[int]] = {}  # path -> [cumulative, smallest]
    for version in merged.killed:
        entry = version.entry
        kind = entry.kind
        if kind != DIRECTORY:
            _see(sizes_seen, entry.path, entry.size if kind == FILE else 0)
    # a path whited out twice in one layer counts the last whiteout's size for both, as before
    whiteout_sizes = {(path, layer): size for path, layer, size in merged.whiteout_lower_sizes}
    for path, layer, _ in merged.whiteout_lower_sizes:
        size = whiteout_sizes[path, layer]
        total += size
        _see(sizes_seen, path, size)
    if total == 0:
        return 1.0
    _see_live(sizes_seen, merged)
    excess = sum([cumulative - smallest for cumulative, smallest in sizes_seen.values()])
    return (total - excess) / total


def _see(sizes_seen: dict[str, list[int]], path: str, size: int) -> None:
    seen = sizes_seen.get(path)
    if seen is None:
        sizes_seen[path] = [size, size]
    else:
        seen[0] += size
        if size < seen[1]:
            seen[1] = size


def _see_live(sizes_seen: dict[str, list[int]], merged: MergeResult) -> None:
    """Add the live version at each path seen, found in the final tree under its directory,
    which the path before it usually shares (the dead versions come a directory at a time)."""
    last_directory, children = None, None
    for path, seen in sizes_seen.items():
        directory, _, name = path.rpartition("/")
        if directory != last_directory:
            node = find_node(merged.final_tree, directory)
            last_directory, children = directory, None if node is None else node.children
        node = children.get(name) if children else None
        version = None if node is None else node.version
        if version is not None and version.entry.kind != DIRECTORY:
            size = version.entry.size if version.entry.kind == FILE else 0
            seen[0] += size
            if size < seen[1]:
                seen[1] = size
