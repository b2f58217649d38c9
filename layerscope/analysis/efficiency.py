"""dive's efficiency score, computed the way dive computes it, for users migrating from dive.

For every path seen in any layer: the smallest size it was ever seen with, over the sum of all
sizes it was seen with. Sizes are tar header sizes (symlinks and links 0), and a whiteout counts
the file bytes of the directory it removed (0 for a removed file). Opaque markers are ignored, as
dive ignores them. layerscope's own headline is the exact wasted bytes, not this score.
"""

from __future__ import annotations

from ..model import EntryKind, FileEntry
from .merge import MergeResult

FILE, DIRECTORY = EntryKind.FILE, EntryKind.DIRECTORY
WHITEOUT, OPAQUE = EntryKind.WHITEOUT, EntryKind.OPAQUE


def dive_efficiency(layers: list[tuple[FileEntry, ...]], merged: MergeResult) -> float:
    """The score in [0, 1]; 1.0 for an image with no file bytes at all."""
    # The score is (total - excess) / total, the excess summed over paths seen more than once.
    # A path is seen twice only if a version at it died or a whiteout named it, so only those
    # paths are followed through the layers; the rest cost one pass of C-speed sums.
    whiteout_sizes = {(path, layer): size for path, layer, size in merged.whiteout_lower_sizes}
    repeated = {dead.path for dead in merged.dead}
    repeated.update(path for path, _, _ in merged.whiteout_lower_sizes)
    total = 0
    sizes_seen: dict[str, list[int]] = {}  # path -> [cumulative, smallest]
    for layer, entries in enumerate(layers):
        total += sum([entry.size for entry in entries if entry.kind == FILE])
        if not repeated:
            continue
        for entry in [entry for entry in entries if entry.path in repeated]:
            kind = entry.kind
            if kind == DIRECTORY or kind == OPAQUE:
                continue
            if kind == FILE:
                size = entry.size
            elif kind == WHITEOUT:
                size = whiteout_sizes.get((entry.path, layer), 0)
                total += size
            else:
                size = 0
            seen = sizes_seen.get(entry.path)
            if seen is None:
                sizes_seen[entry.path] = [size, size]
            else:
                seen[0] += size
                if size < seen[1]:
                    seen[1] = size
    if total == 0:
        return 1.0
    excess = sum(cumulative - smallest for cumulative, smallest in sizes_seen.values())
    return (total - excess) / total
