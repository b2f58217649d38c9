"""Reading the final filesystem out of the merged index."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import FileEntry
from .merge import Node, Version


def live_versions(root: Node) -> Iterator[Version]:
    """Every version visible in the final filesystem (directories included), in no set order."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.version is not None:
            yield node.version
        if node.children:
            stack.extend(node.children.values())


def live_entries(root: Node) -> Iterator[FileEntry]:
    """Every entry visible in the final filesystem (directories included), in no set order."""
    for version in live_versions(root):
        yield version.entry


def live_files(root: Node) -> dict[str, FileEntry]:
    """Path -> visible entry for everything in the final filesystem."""
    return {entry.path: entry for entry in live_entries(root)}


def find_node(root: Node, path: str) -> Node | None:
    """The node at a path ("/" is the root), or None."""
    node = root
    for name in path.split("/")[1:]:
        if not name:
            continue
        if not node.children or name not in node.children:
            return None
        node = node.children[name]
    return node


def find_version(root: Node, path: str) -> Version | None:
    """The visible version at a path, or None."""
    node = find_node(root, path)
    return None if node is None else node.version
