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
    """A directory while the map is built: its children and bytes by (series, dead)."""

    __slots__ = ("bytes", "children", "files")

    def __init__(self) -> None:
        self.children: dict[str, _Dir | list] = {}
        self.bytes: dict[tuple[int, bool], int] = {}
        self.files = 0


def build(items: Iterable[tuple[str, int, int, bool]], width: int = WIDTH,
          budget: int = BUDGET) -> dict:
    """The map of (path, series, bytes, dead) items, as the page's `map` document: `nodes` is a
    flat list of [parent, name, type, entries, live, dead], parent an index into the list (-1
    for the root), type "d" directory, "f" file, "o" the others summed, "c" a directory whose
    contents were not listed; live and dead are flat [series, bytes, ...] lists."""
    root = _Dir()
    for path, series, size, dead in items:
        names = [name for name in path.split("/") if name]
        if not names:
            continue
        node = root
        key = (series, dead)
        node.bytes[key] = node.bytes.get(key, 0) + size
        node.files += 1
        for name in names[:-1]:
            child = node.children.get(name)
            if not isinstance(child, _Dir):
                # a file here in one version and a directory in another: the map is of
                # directories, so the directory wins and the file's bytes stay with it
                replaced, child = child, _Dir()
                node.children[name] = child
                if replaced is not None:
                    _add_file(child, replaced)
            node = child
            node.bytes[key] = node.bytes.get(key, 0) + size
            node.files += 1
        leaf = node.children.get(names[-1])
        if isinstance(leaf, _Dir):
            leaf.bytes[key] = leaf.bytes.get(key, 0) + size
            leaf.files += 1
        elif leaf is None:
            node.children[names[-1]] = [{key: size}]
        else:
            leaf[0][key] = leaf[0].get(key, 0) + size
    return {"nodes": _flatten(root, width, budget)}


def _add_file(directory: _Dir, file: list) -> None:
    for key, size in file[0].items():
        directory.bytes[key] = directory.bytes.get(key, 0) + size
    directory.files += 1


def _total(node) -> int:
    return sum((node.bytes if isinstance(node, _Dir) else node[0]).values())


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
                live, dead = _figures(child[0])
                nodes.append([index, name, "f", 1, live, dead])
        if rest:
            summed: dict[tuple[int, bool], int] = {}
            entries = 0
            for _, child in rest:
                for key, size in (child.bytes if isinstance(child, _Dir) else child[0]).items():
                    summed[key] = summed.get(key, 0) + size
                entries += child.files if isinstance(child, _Dir) else 1
            live, dead = _figures(summed)
            nodes.append([index, f"({len(rest)} smaller entries)", "o", entries, live, dead])
    return nodes
