"""Dead versions folded into groups (a removed directory, one folder's files): the one grouping
that inspect's wasted table and check's path contributors both show, so both count alike.

A group's count is of files: every dead version in it, whatever its size (an empty file that
was removed is one of the files the directory lost); directories are never dead versions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from operator import attrgetter, itemgetter

from ..analysis.image_report import WastedFile


@dataclass(frozen=True)
class WasteGroup:
    """Dead versions shown as one row: same directory, same writer, killer and kind."""

    label: str
    """A path, or a directory with the number of files under it: '/tmp/req/ (2 files)'."""
    size: int
    """Total bytes of the group."""
    files: int
    """Dead versions in the group."""
    kind: str
    """Shared waste kind."""
    written_by_step: int
    """Shared writing step."""
    killed_by_step: int
    """Shared killing step."""
    items: tuple[WastedFile, ...] = ()
    """The dead versions in it, largest first (inspect --expand lists them)."""


SIZE, LABEL, GROUP_SIZE = itemgetter(1), attrgetter("label"), attrgetter("size")


def group_wasted(wasted: Iterable[WastedFile]) -> list[WasteGroup]:
    """Fold files that died together into one group each, largest first."""
    # one loop with the folder worked out inline (posixpath.dirname's own call and checks),
    # the groups sorted on plain keys: 90k dead versions in 41k groups 0.20 -> 0.18 s
    groups: dict[tuple[str, bool, int, int, str], list[WastedFile]] = {}
    get = groups.get
    for item in wasted:
        path, _, kind, written, killed, root = item
        root = root.rstrip("/")
        if root != path and path.startswith(root + "/"):
            key = (root, True, written, killed, kind)
        else:
            head = path[:path.rfind("/") + 1]  # posixpath.dirname
            key = (head.rstrip("/") or head, False, written, killed, kind)
        group = get(key)
        if group is None:
            groups[key] = [item]
        else:
            group.append(item)
    rows = []
    for (folder, under_root, written, killed, kind), items in groups.items():
        if len(items) == 1:
            label = items[0].path
        else:
            label = f"{folder.rstrip('/')}/{'' if under_root else '*'} ({len(items)} files)"
        rows.append(WasteGroup(label, sum(map(SIZE, items)), len(items), kind, written, killed,
                               tuple(items)))
    rows.sort(key=LABEL)  # then largest first: the order of a (-size, label) key
    rows.sort(key=GROUP_SIZE, reverse=True)
    return rows
