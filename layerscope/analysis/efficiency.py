"""dive's efficiency score, computed the way dive computes it, for users migrating from dive.

For every path seen in any layer: the smallest size it was ever seen with, over the sum of all
sizes it was seen with. Sizes are tar header sizes (symlinks and links 0), and a whiteout counts
the file bytes of the directory it removed (0 for a removed file). Opaque markers are ignored, as
dive ignores them. layerscope's own headline is the exact wasted bytes, not this score.
"""

from __future__ import annotations

from ..model import EntryKind, FileEntry


def dive_efficiency(layers: list[tuple[FileEntry, ...]],
                    whiteout_lower_sizes: tuple[tuple[str, int, int], ...]) -> float:
    """The score in [0, 1]; 1.0 for an image with no file bytes at all."""
    # Most paths are seen once, where smallest == cumulative; only repeats need both, so the
    # score is (total - excess) / total with excess summed over the repeated paths alone.
    whiteout_sizes = {(path, layer): size for path, layer, size in whiteout_lower_sizes}
    first: dict[str, int] = {}
    repeats: dict[str, list[int]] = {}  # path -> [cumulative, smallest]
    total = 0
    skipped = (EntryKind.DIRECTORY, EntryKind.OPAQUE)
    for layer, entries in enumerate(layers):
        for entry in entries:
            kind = entry.kind
            if kind in skipped:
                continue
            if kind == EntryKind.FILE:
                size = entry.size
            elif kind == EntryKind.WHITEOUT:
                size = whiteout_sizes.get((entry.path, layer), 0)
            else:
                size = 0
            total += size
            count = len(first)
            earlier = first.setdefault(entry.path, size)
            if len(first) == count:  # seen before
                seen = repeats.get(entry.path)
                if seen is None:
                    repeats[entry.path] = [earlier + size, min(earlier, size)]
                else:
                    seen[0] += size
                    if size < seen[1]:
                        seen[1] = size
    if total == 0:
        return 1.0
    excess = sum(cumulative - smallest for cumulative, smallest in repeats.values())
    return (total - excess) / total
