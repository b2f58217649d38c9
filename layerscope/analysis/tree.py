"""Reading the final filesystem out of the merged index."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import FileEntry
from .merge import Node


def live_entries(root: Node) -> Iterator[FileEntry]:
    """Every entry visible in the final filesystem (directories included), in no set order."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.version is not None:
            yield node.version.entry
        if node.children:
            stack.extend(node.children.values())


def live_files(root: Node) -> dict[str, FileEntry]:
    """Path -> visible entry for everything in the final filesystem."""
    return {entry.path: entry for entry in live_entries(root)}
