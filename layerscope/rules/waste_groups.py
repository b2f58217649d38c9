"""Dead versions folded into groups (a removed directory, one folder's files): the one grouping
that inspect's wasted table and check's path contributors both show, so both count alike.

A group's count is of files: every dead version in it, whatever its size (an empty file that
was removed is one of the files the directory lost); directories are never dead versions."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass

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


def group_wasted(wasted: Iterable[WastedFile]) -> list[WasteGroup]:
    """Fold files that died together into one group each, largest first."""
    groups: dict[tuple[str, bool, int, int, str], list[WastedFile]] = {}
    for item in wasted:
        root = item.removal_root.rstrip("/")
        under_root = root != item.path and item.path.startswith(root + "/")
        folder = root if under_root else posixpath.dirname(item.path)
        key = (folder, under_root, item.written_by_step, item.killed_by_step, item.kind)
        groups.setdefault(key, []).append(item)
    rows = []
    for (folder, under_root, written, killed, kind), items in groups.items():
        if len(items) == 1:
            label = items[0].path
        else:
            label = f"{folder.rstrip('/')}/{'' if under_root else '*'} ({len(items)} files)"
        rows.append(WasteGroup(label, sum(i.size for i in items), len(items), kind, written,
                               killed, tuple(items)))
    return sorted(rows, key=lambda g: (-g.size, g.label))
