"""The merged path index: apply layers bottom-up and record every version that dies.

A *version* is one entry of one layer at one path. It dies when a later layer removes it
(whiteout of it or an ancestor, opaque marker on an ancestor, the root's included) or replaces it
(a new entry at the same path, a non-directory at an ancestor, or, as overlay2 does, a directory
where a lower layer had a symlink or file and the later layer puts an entry below it). A
hard-link group's content stays live while any of its paths is live. Whiteouts of paths the
lower layers never had are harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain
from operator import attrgetter
from typing import NamedTuple

from ..model import EntryKind, FileEntry
from .tree import LinkGroup, Node, Version

REMOVED = "removed"
OVERWRITTEN = "overwritten"
METADATA_ONLY = "metadata-only"
REPLACED_BY_LINK = "replaced-by-link"
# what MergeResult.anomalies name: inputs Docker's engine refuses or reads otherwise
DUPLICATE_MEMBER = "duplicate-member"
ROOT_OPAQUE = "root-opaque"

LINK_KINDS = (EntryKind.SYMLINK, EntryKind.HARDLINK)
# module constants: an enum member lookup per entry costs more than the rest of a write
DIRECTORY, HARDLINK, SYMLINK = EntryKind.DIRECTORY, EntryKind.HARDLINK, EntryKind.SYMLINK
WHITEOUT, OPAQUE = EntryKind.WHITEOUT, EntryKind.OPAQUE
_VERSION, _CHILDREN, _ENTRY_SIZE = attrgetter("version"), attrgetter("children"), attrgetter("entry.size")


class DeadVersion(NamedTuple):
    """Bytes that every pull downloads but nobody can see (a named tuple, as FileEntry is: a
    300k-file image has 90k; a frozen dataclass cost 0.5 us each to build, a tuple 0.1 us)."""

    path: str
    """The path the dead version was written at."""
    size: int
    """Its bytes (for a hard-link group, the shared content)."""
    kind: str
    """removed, overwritten, metadata-only or replaced-by-link."""
    written_by_layer: int
    """Index of the layer that wrote it."""
    killed_by_layer: int
    """Index of the layer that removed or replaced it (its own, for a duplicate member)."""
    removal_root: str
    """The path the killing entry named (a removed directory, say), for grouping."""


@dataclass(frozen=True, slots=True)
class LayerFlow:
    """How one layer's bytes relate to the layers around it."""

    added_bytes: int
    """Bytes written at paths no lower layer had visible."""
    replaced_bytes: int
    """Bytes written at paths where a lower layer's version was visible."""
    deleted_lower_bytes: int
    """Bytes of lower layers' versions this layer removed or replaced."""
    dead_bytes: int
    """Bytes this layer wrote that are dead in the final image."""
    dead_by_layer: tuple[tuple[int, int], ...]
    """(killing layer, bytes) pairs for dead_bytes, largest first."""


@dataclass(frozen=True, slots=True)
class MergeResult:
    """The outcome of stacking all layers."""

    dead: tuple[DeadVersion, ...]
    """Every dead version but directories; a path whose content lives on through a hard link
    is listed with size 0."""
    flows: tuple[LayerFlow, ...]
    """Per layer, in order."""
    visible_bytes: int
    """Bytes of live versions, counted by walking the final tree."""
    wasted_bytes: int
    """Bytes of dead versions."""
    final_tree: Node
    """Root of the final filesystem (live versions only)."""
    whiteout_lower_sizes: tuple[tuple[str, int, int], ...]
    """(path, layer, file bytes under it) for every whiteout, harmless ones with 0: dive's view."""
    anomalies: tuple[tuple[str, str, int], ...] = ()
    """(kind, path, layer) in the order found: duplicate-member (one layer has more than one
    member at the path: Docker's engine refuses to load it) or root-opaque (an opaque marker at
    the layer root, which overlay2 ignores)."""
    dead_entries: tuple[FileEntry, ...] = ()
    """The entry of each of `dead`, in its order (dive's efficiency reads their kinds)."""


class MergedIndex:
    """Applies layers one at a time to a single tree; never re-stacks lower layers."""

    def __init__(self) -> None:
        self.root = Node()
        self.root.children = {}
        self.killed: list[Version] = []
        self.added: list[int] = []
        self.replaced: list[int] = []
        self.whiteout_lower_sizes: list[tuple[str, int, int]] = []
        self.anomalies: dict[tuple[str, str, int], None] = {}  # a dict: ordered, no repeats
        self._markers: set[tuple[int, str]] = set()  # this layer's (kind, path) of markers
        self._last_directory: str | None = None
        self._last_directory_node: Node = self.root

    # -- applying ------------------------------------------------------------------------------

    def apply(self, layer: int, entries: tuple[FileEntry, ...]) -> None:
        """Stack one layer's entries on top of the tree."""
        added = replaced = 0
        write = self._write
        self._markers.clear()
        # a directory remembered from a lower layer may hold that layer's symlink, which this
        # layer's members below it replace
        self._last_directory = None
        for entry in entries:
            kind = entry.kind
            if kind == WHITEOUT:
                self._whiteout(entry.path, layer)
            elif kind == OPAQUE:
                self._opaque(entry.path, layer)
            elif write(entry, layer):
                replaced += entry.size
            else:
                added += entry.size
        self.added.append(added)
        self.replaced.append(replaced)

    def _kill(self, version: Version, layer: int, reason: str, root: str) -> None:
        version.killed_by = layer
        version.reason = reason
        version.removal_root = root
        self.killed.append(version)
        group = version.group
        if group is not None:
            group.live_members -= 1
            if group.live_members == 0:
                group.last_killed_by = layer
                group.last_reason = reason

    def _find(self, path: str) -> tuple[Node | None, Node | None, str]:
        parent, node, name = None, self.root, ""
        for name in path.split("/")[1:]:
            if node.children is None or name not in node.children:
                return None, None, name
            parent, node = node, node.children[name]
        return parent, node, name

    def _kill_subtree(self, top: Node, layer: int, reason: str, root: str, lower_only: bool) -> int:
        """Kill versions under (and including) top; prune emptied nodes; return file bytes hit."""
        self._last_directory = None  # pruning may detach the remembered directory
        file_bytes = 0
        order: list[tuple[Node | None, str, Node]] = [(None, "", top)]
        stack = [top]
        while stack:  # iterative: 10,000-deep trees must not hit the recursion limit
            node = stack.pop()
            if node.children:
                for name, child in node.children.items():
                    order.append((node, name, child))
                    stack.append(child)
        for _, _, node in order:
            version = node.version
            if version is not None and (not lower_only or version.layer < layer):
                if version.entry.kind == EntryKind.FILE:
                    file_bytes += version.entry.size
                self._kill(version, layer, reason, root)
                node.version = None
        for parent, name, node in reversed(order):
            if parent is not None and node.version is None and not node.children:
                del parent.children[name]
        return file_bytes

    def _marker_seen(self, kind: int, path: str, layer: int) -> None:
        if (kind, path) in self._markers:
            self.anomalies.setdefault((DUPLICATE_MEMBER, path, layer))
        self._markers.add((kind, path))

    def _whiteout(self, path: str, layer: int) -> None:
        self._marker_seen(WHITEOUT, path, layer)
        directory, _, name = path.rpartition("/")
        # overlay2 makes the marker's directory in the layer, as for any member
        if directory == self._last_directory:
            parent = self._last_directory_node  # a deleting step names a directory's files
        else:  # one after another, as tar lists them
            parent = self._directory_node(directory, layer)
            self._last_directory, self._last_directory_node = directory, parent
        node = parent.children.get(name) if name and parent.children else None
        if node is None:
            self.whiteout_lower_sizes.append((path, layer, 0))
            return
        if node.children:
            file_bytes = self._kill_subtree(node, layer, REMOVED, path, lower_only=True)
            self.whiteout_lower_sizes.append((path, layer, file_bytes))
        else:  # a file, a link or an empty directory: dive counts 0 bytes under it
            version = node.version
            if version is not None and version.layer < layer:
                self._kill(version, layer, REMOVED, path)
                node.version = None
            self.whiteout_lower_sizes.append((path, layer, 0))
            if node is self._last_directory_node:
                self._last_directory = None  # pruned below
        if node.version is None and not node.children:
            parent.children.pop(name, None)

    def _opaque(self, path: str, layer: int) -> None:
        self._marker_seen(OPAQUE, path, layer)
        if path == "/":
            # the OCI spec's reading (and DESIGN.md's): everything lower layers put in the image
            # is hidden; overlay2 ignores the marker at a layer root, so the report says so
            self.anomalies.setdefault((ROOT_OPAQUE, path, layer))
        node = self._directory_node("" if path == "/" else path, layer)
        if not node.children:
            return
        for name, child in list(node.children.items()):
            self._kill_subtree(child, layer, REMOVED, path, lower_only=True)
            if child.version is None and not child.children:
                del node.children[name]

    def _directory_node(self, directory: str, layer: int) -> Node:
        """The node of a directory path ("" is the root), created as needed; a file or a lower
        layer's symlink in the way is replaced."""
        node = self.root
        names = directory.split("/")
        for depth, name in enumerate(names[1:], 2):
            children = node.children
            if children is None:
                children = node.children = {}
            child = children.get(name)
            if child is None:
                child = children[name] = Node()
            elif (version := child.version) is not None and version.entry.kind != DIRECTORY and not (
                    version.entry.kind == SYMLINK and version.layer == layer):
                # overlay2 unpacks a layer into an empty directory, making every member's parent a
                # directory there, and that directory hides a lower symlink or file at its path
                # (checked against the engine: tests/integration/test_overlay_merge.py). A
                # symlink of the same layer is followed by the unpacking instead; not modelled.
                self._kill(version, layer, OVERWRITTEN, "/".join(names[:depth]))
                child.version = None
            node = child
        if node.children is None:
            node.children = {}
        return node

    def _write(self, entry: FileEntry, layer: int) -> bool:
        """Put an entry in the tree; True when it replaced a lower layer's visible version."""
        directory, _, name = entry.path.rpartition("/")
        if directory == self._last_directory:
            node = self._last_directory_node  # tar lists a directory's entries together
        else:
            node = self._directory_node(directory, layer)
            self._last_directory, self._last_directory_node = directory, node
        children = node.children
        target = children.get(name)
        kind = entry.kind
        if target is None and kind != HARDLINK:
            target = children[name] = Node()
            target.version = Version(layer, entry)
            if kind == DIRECTORY:
                self._remember(entry.path, target)
            return False  # nothing was there: the common case, nothing to replace or kill
        if target is None:
            target = children[name] = Node()
        return self._replace(target, entry, layer)

    def _remember(self, path: str, node: Node) -> None:
        """A directory just written is where its members come next: remembered, as
        _directory_node would find it (upper layers list again every directory they write in)."""
        if node.children is None:
            node.children = {}
        self._last_directory, self._last_directory_node = path, node

    def _replace(self, target: Node, entry: FileEntry, layer: int) -> bool:
        """Put an entry at a node the tree has (or a hard link at a new one); _write's answer."""
        old = target.version
        if old is not None and old.layer == layer:
            self.anomalies.setdefault((DUPLICATE_MEMBER, entry.path, layer))
        version = Version(layer, entry)
        kind = entry.kind
        if kind == DIRECTORY:
            self._remember(entry.path, target)
        else:
            if target.children is not None or target is self._last_directory_node:
                self._last_directory = None  # the remembered directory may be gone or a file now
            if target.children:
                reason = REPLACED_BY_LINK if kind in LINK_KINDS else REMOVED
                for child in list(target.children.values()):
                    self._kill_subtree(child, layer, reason, entry.path, lower_only=False)
                target.children = None
            if kind == HARDLINK:
                self._join_link_group(version, layer)
        if old is not None and not (old.entry.kind == DIRECTORY and kind == DIRECTORY):
            linked = version.group.head.entry if version.group is not None else None
            self._kill(old, layer, classify(old.entry, entry, linked), entry.path)
        target.version = version
        return old is not None and old.layer < layer

    def _join_link_group(self, version: Version, layer: int) -> None:
        _, head_node, _ = self._find(version.entry.link_target or "")
        head = head_node.version if head_node is not None else None
        if head is None or head.layer != layer or head.entry.kind != EntryKind.FILE:
            return  # a link to content outside this layer holds no bytes of its own
        if head.group is None:
            head.group = LinkGroup(head)
        head.group.live_members += 1
        version.group = head.group

    # -- results -------------------------------------------------------------------------------

    def result(self, layer_count: int) -> MergeResult:
        """Summarise the dead versions and check the visible bytes by walking the final tree."""
        dead, entries = [], []  # the dead versions, and their entries for dive's efficiency
        append, new, keep = dead.append, tuple.__new__, entries.append
        dead_bytes, deleted_lower = [0] * layer_count, [0] * layer_count
        by_killer: list[dict[int, int]] = [{} for _ in range(layer_count)]
        shown = 0  # bytes of dead heads whose content another path of their group still shows
        for version in self.killed:
            entry = version.entry
            if entry.kind == DIRECTORY:
                continue  # a directory's own entry holds no bytes; its files are listed
            size, killed_by, reason = entry.size, version.killed_by, version.reason
            group = version.group
            if group is not None and group.head is version:
                if group.live_members > 0:
                    shown += size
                    size = 0
                else:
                    killed_by, reason = group.last_killed_by, group.last_reason
            writer = version.layer
            append(new(DeadVersion, (entry.path, size, reason, writer, killed_by,
                                     version.removal_root)))
            keep(entry)
            if size:
                dead_bytes[writer] += size
                killed = by_killer[writer]
                killed[killed_by] = killed.get(killed_by, 0) + size
                if writer < killed_by:
                    deleted_lower[killed_by] += size
        flows = [LayerFlow(
            added_bytes=self.added[layer] if layer < len(self.added) else 0,
            replaced_bytes=self.replaced[layer] if layer < len(self.replaced) else 0,
            deleted_lower_bytes=deleted_lower[layer],
            dead_bytes=dead_bytes[layer],
            dead_by_layer=tuple(sorted(by_killer[layer].items(), key=lambda kv: (-kv[1], kv[0]))),
        ) for layer in range(layer_count)]
        return MergeResult(tuple(dead), tuple(flows), self._live_bytes() + shown, sum(dead_bytes),
                           self.root, tuple(self.whiteout_lower_sizes), tuple(self.anomalies),
                           tuple(entries))

    def _live_bytes(self) -> int:
        """The bytes of every version in the final tree, a level at a time in C."""
        total = 0
        level = [self.root]
        while level:
            total += sum(map(_ENTRY_SIZE, filter(None, map(_VERSION, level))))
            level = list(chain.from_iterable(map(dict.values, filter(None, map(_CHILDREN, level)))))
        return total


def classify(old: FileEntry, new: FileEntry, linked: FileEntry | None = None) -> str:
    """Why a new entry at the same path made the old version dead; `linked` is the file of the
    same layer a new hard link shares its content with.

    The same bytes again are `metadata-only` whatever else changed or not (mode, owner, times;
    the tar index keeps no times): a chmod, a chown, or the copy-up overlayfs makes to hard-link
    a lower file, which may list the new name first and the old path as the link."""
    if old.kind == EntryKind.FILE and linked is not None and _same_content(old, linked):
        return METADATA_ONLY
    if old.kind == new.kind == EntryKind.FILE:
        return METADATA_ONLY if _same_content(old, new) else OVERWRITTEN
    if old.kind == new.kind == EntryKind.SYMLINK:
        return METADATA_ONLY if old.link_target == new.link_target else OVERWRITTEN
    if new.kind in LINK_KINDS:
        return REPLACED_BY_LINK
    return OVERWRITTEN


def _same_content(old: FileEntry, new: FileEntry) -> bool:
    return old.size == new.size and old.content_hash == new.content_hash


def merge_layers(layers: list[tuple[FileEntry, ...]]) -> MergeResult:
    """Stack every layer, bottom first."""
    index = MergedIndex()
    for position, entries in enumerate(layers):
        index.apply(position, entries)
    return index.result(len(layers))
