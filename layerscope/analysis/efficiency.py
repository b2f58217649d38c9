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
    cumulative: dict[str, int] = {}
    smallest: dict[str, int] = {}

    def seen(path: str, size: int) -> None:
        cumulative[path] = cumulative.get(path, 0) + size
        if path not in smallest or size < smallest[path]:
            smallest[path] = size

    whiteout_sizes = {(path, layer): size for path, layer, size in whiteout_lower_sizes}
    for layer, entries in enumerate(layers):
        for entry in entries:
            if entry.kind in (EntryKind.DIRECTORY, EntryKind.OPAQUE):
                continue
            if entry.kind == EntryKind.WHITEOUT:
                seen(entry.path, whiteout_sizes.get((entry.path, layer), 0))
            else:
                seen(entry.path, entry.size if entry.kind == EntryKind.FILE else 0)
    total = sum(cumulative.values())
    return 1.0 if total == 0 else sum(smallest.values()) / total
