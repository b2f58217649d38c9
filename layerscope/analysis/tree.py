"""The merged index's tree (analysis.merge builds it), and reading the final filesystem out of
it."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import FileEntry


class LinkGroup:
    """A regular file and the hard links to it written in the same layer."""

    __slots__ = ("head", "live_members", "last_killed_by", "last_reason")

    def __init__(self, head: Version) -> None:
        self.head = head
        self.live_members = 1
        self.last_killed_by = -1  # both set when its last live member dies
        self.last_reason = ""


class Version:
    """One entry of one layer, and how it died, if it did."""

    __slots__ = ("layer", "entry", "group", "killed_by", "reason", "removal_root")

    def __init__(self, layer: int, entry: FileEntry) -> None:
        self.layer = layer
        self.entry = entry
        self.group: LinkGroup | None = None
        self.killed_by = -1
        self.reason = ""
        self.removal_root = ""


class Node:
    """A path in the merged tree: its visible version and its children."""

    __slots__ = ("children", "version")

    def __init__(self) -> None:
        self.children: dict[str, Node] | None = None
        self.version: Version | None = None


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
