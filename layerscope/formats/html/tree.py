"""The directory map the HTML report draws: bytes by directory, split by series (the step that
wrote them, or added/removed/changed for a diff), live and dead apart.

A million-file image cannot ship a node per file and still open in a browser in seconds, so the
map keeps at most `budget` nodes: the biggest directories are opened first, each shows its
`width` biggest children, and what is left over is one "(N smaller entries)" node whose bytes
are exact. Every directory's totals stay exact whatever is cut."""

from __future__ import annotations

import heapq
from collections.abc import Iterable

WIDTH = 40
"""Children shown under one directory before the rest are summed into one node."""
BUDGET = 20_000
"""Nodes in the whole map; the biggest directories are opened first."""


class _Dir:
    """A directory while the map is built: its children, the bytes of files that sat at its own
    path, and (once summed) its bytes by (series, dead) and its file count."""

    __slots__ = ("bytes", "children", "files", "own")

    def __init__(self) -> None:
        self.children: dict[str, _Dir | tuple | dict] = {}
        self.own: dict[tuple[int, bool], int] = {}
        self.bytes: dict[tuple[int, bool], int] = {}
        self.files = 0


def build(items: Iterable[tuple[str, int, int, bool]], width: int = WIDTH,
          budget: int = BUDGET) -> dict:
    """The map of (path, series, bytes, dead) items, as the page's `map` document: `nodes` is a
    flat list of [parent, name, type, entries, live, dead], parent an index into the list (-1
    for the root), type "d" directory, "f" file, "o" the others summed, "c" a directory whose
    contents were not listed; live and dead are flat [series, bytes, ...] lists."""
    root = _Dir()
    # each file touches only its own directory (found by its parent path, not walked from the
    # root) and the directories are summed once at the end: a million files went from 3.9-4.1 s
    # to 3.1 s of the whole run's user time
    directories = {"": root}
    keys: dict[tuple[int, bool], tuple[int, bool]] = {}
    for path, series, size, dead in items:
        parent, _, name = path.rpartition("/")
        if not name:
            continue
        node = directories.get(parent) or _directory(directories, parent)
        key = keys.setdefault((series, dead), (series, dead))
        leaf = node.children.get(name)
        if leaf is None:
            # a file seen once (nearly all of them) is a (key, bytes) pair, a quarter of the
            # memory of a dict: the million-file image's report peaked 875 MB with dicts
            node.children[name] = (key, size)
        elif isinstance(leaf, _Dir):
            # a file at a path that is also a directory (in another version): the map is of
            # directories, so the directory wins and the file's bytes stay with it
            leaf.own[key] = leaf.own.get(key, 0) + size
            leaf.files += 1
        else:
            merged = _bytes_of(leaf)  # a new dict for a pair, the file's own for a dict
            merged[key] = merged.get(key, 0) + size
            node.children[name] = merged
    _sum(root)
    return {"nodes": _flatten(root, width, budget)}


def _directory(directories: dict[str, _Dir], path: str) -> _Dir:
    parent, _, name = path.rpartition("/")
    above = directories.get(parent) or _directory(directories, parent)
    node = above.children.get(name)
    if not isinstance(node, _Dir):
        replaced, node = node, _Dir()
        if replaced is not None:
            node.own = dict(_bytes_of(replaced))
            node.files = 1
        above.children[name] = node
    directories[path] = node
    return node


def _sum(root: _Dir) -> None:
    """Each directory's bytes and file count: its own plus its children's, deepest first."""
    order, stack = [], [root]
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(child for child in node.children.values() if isinstance(child, _Dir))
    for node in reversed(order):
        totals = dict(node.own)
        files = node.files
        for child in node.children.values():
            files += child.files if isinstance(child, _Dir) else 1
            for key, size in _bytes_of(child).items():
                totals[key] = totals.get(key, 0) + size
        node.bytes, node.files = totals, files


def _bytes_of(node) -> dict[tuple[int, bool], int]:
    """Bytes by (series, dead) of a directory (summed), a file seen once ((key, bytes)) or a
    file seen more than once (a dict)."""
    if isinstance(node, _Dir):
        return node.bytes
    if isinstance(node, tuple):
        return {node[0]: node[1]}
    return node


def _total(node) -> int:
    return sum(_bytes_of(node).values())


def _figures(by_key: dict[tuple[int, bool], int]) -> tuple[list[int], list[int]]:
    live, dead = [], []
    for (series, is_dead), size in sorted(by_key.items()):
        (dead if is_dead else live).extend((series, size))
    return live, dead


def _flatten(root: _Dir, width: int, budget: int) -> list:
    live, dead = _figures(root.bytes)
    nodes: list = [[-1, "/", "d", root.files, live, dead]]
    # biggest directory first; the counter keeps the heap from comparing directories
    heap = [(-_total(root), 0, 0, root)]
    counter = 1
    while heap:
        _, _, index, directory = heapq.heappop(heap)
        ranked = sorted(directory.children.items(), key=lambda item: -_total(item[1]))
        shown, rest = ranked[:width], ranked[width:]
        if len(nodes) + len(shown) + bool(rest) > budget:
            nodes[index][2] = "c"
            continue
        for name, child in shown:
            if isinstance(child, _Dir):
                live, dead = _figures(child.bytes)
                nodes.append([index, name, "d", child.files, live, dead])
                if child.children:
                    heapq.heappush(heap, (-_total(child), counter, len(nodes) - 1, child))
                    counter += 1
            else:
                live, dead = _figures(_bytes_of(child))
                nodes.append([index, name, "f", 1, live, dead])
        if rest:
            summed: dict[tuple[int, bool], int] = {}
            entries = 0
            for _, child in rest:
                for key, size in _bytes_of(child).items():
                    summed[key] = summed.get(key, 0) + size
                entries += child.files if isinstance(child, _Dir) else 1
            live, dead = _figures(summed)
            nodes.append([index, f"({len(rest)} smaller entries)", "o", entries, live, dead])
    return nodes
