"""The file tree of the selected step: expand and collapse, two views, mark filters, sort."""

from __future__ import annotations

from rich.segment import Segment
from textual.binding import Binding

from ..analysis.step_tree import (
    ADDED,
    CHANGED,
    CHANGES,
    FILESYSTEM,
    GONE,
    MARKS,
    METADATA,
    StepTree,
    TreeEntry,
)
from .rows import RowList
from .text import MARK_CHARS, MARK_STYLES, exact, size

SIZE_WIDTH = 9


class TreeView(RowList):
    """A flat list of the visible rows of the tree: (depth, entry); expanding a directory
    inserts its listing after it, collapsing cuts it out."""

    BINDINGS = [
        Binding("space,enter", "toggle", "Collapse/expand", show=False),
        Binding("right,l", "expand", "Expand", show=False),
        Binding("left,h", "collapse", "Collapse", show=False),
    ]

    def __init__(self, tree: StepTree, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.step_tree = tree
        self.at_layer = 0
        self.mode = CHANGES
        self.shown = set(MARKS)
        self.by_size = False
        self.filter = ""
        self.expanded: set[str] = set()
        self.rows: list[tuple[int, TreeEntry]] = []
        self.step = 0
        self.empty_step = False  # a step without a layer changed no file

    # -- what is shown -------------------------------------------------------------------------

    def show(self, layer: int | None = None, mode: str | None = None) -> None:
        """List the tree again for another step or view, keeping what was expanded."""
        if layer is not None:
            self.at_layer = layer
        if mode is not None:
            self.mode = mode
        selected = self.selected()
        if self.filter:
            self.rows = self._matches()
        else:
            self.rows = []
            self._insert(0, "/", 0)
        self.cursor = self._index_of(selected.path) if selected is not None else 0
        self.rows_changed()

    def _listing(self, path: str) -> list[TreeEntry]:
        if self.at_layer < 0 or (self.empty_step and self.mode == CHANGES):
            return []
        # a changed directory may hold entries of any mark: it stays while they are looked for
        rows = [row for row in self.step_tree.directory(path, self.at_layer, self.mode)
                if row.mark in self.shown or (row.is_dir and row.mark == CHANGED)]
        if self.by_size:
            rows.sort(key=lambda row: -row.size)  # stable: names stay in order within a size
        return rows

    def _insert(self, at: int, path: str, depth: int) -> int:
        """Insert the listing of `path` (and of its expanded subdirectories) at row `at`;
        return the number of rows inserted."""
        # depth-first, in listing order, without recursion: 10,000-deep trees exist
        block: list[tuple[int, TreeEntry]] = []
        pending = [(depth, row) for row in reversed(self._listing(path))]
        while pending:
            item = pending.pop()
            block.append(item)
            item_depth, entry = item
            if entry.is_dir and entry.path in self.expanded and entry.mark != GONE:
                pending.extend((item_depth + 1, row) for row in reversed(self._listing(entry.path)))
        self.rows[at:at] = block
        return len(block)

    def _matches(self) -> list[tuple[int, TreeEntry]]:
        """The tree cut down to the entries whose path contains the filter text and the
        directories that lead to them, all open (as dive filters)."""
        needle = self.filter
        keep: set[str] = set()
        pending = ["/"]
        while pending:  # one walk of the step's view to find the matches
            path = pending.pop()
            for row in self._listing(path):
                if needle in row.path:
                    keep.add(row.path)
                    parent = row.path.rpartition("/")[0]
                    while parent and parent not in keep:
                        keep.add(parent)
                        parent = parent.rpartition("/")[0]
                if row.is_dir and row.mark != GONE:
                    pending.append(row.path)
        found: list[tuple[int, TreeEntry]] = []
        stack = [(0, row) for row in reversed(self._listing("/")) if row.path in keep]
        while stack:  # and one over the kept directories only, in listing order
            depth, row = stack.pop()
            found.append((depth, row))
            if row.is_dir and row.mark != GONE:
                stack.extend((depth + 1, child) for child in reversed(self._listing(row.path))
                             if child.path in keep)
        return found

    def _index_of(self, path: str) -> int:
        for index, (_, entry) in enumerate(self.rows):
            if entry.path == path:
                return index
        return min(self.cursor, max(0, len(self.rows) - 1))

    def selected(self) -> TreeEntry | None:
        """The entry under the cursor."""
        if 0 <= self.cursor < len(self.rows):
            return self.rows[self.cursor][1]
        return None

    # -- actions -------------------------------------------------------------------------------

    def action_toggle(self) -> None:
        entry = self.selected()
        if entry is None or not entry.is_dir or self.filter:
            return
        if entry.path in self.expanded:
            self.action_collapse()
        else:
            self.action_expand()

    def action_expand(self) -> None:
        entry = self.selected()
        if entry is None or not entry.is_dir or self.filter or entry.path in self.expanded:
            return
        self.expanded.add(entry.path)
        depth = self.rows[self.cursor][0]
        self._insert(self.cursor + 1, entry.path, depth + 1)
        self.rows_changed()

    def action_collapse(self) -> None:
        entry = self.selected()
        if entry is None or self.filter:
            return
        depth = self.rows[self.cursor][0]
        if not (entry.is_dir and entry.path in self.expanded):
            # on a file or a closed directory: go to the parent, as in dive and most trees
            for index in range(self.cursor - 1, -1, -1):
                if self.rows[index][0] < depth:
                    self.move_to(index)
                    return
            return
        self.expanded.discard(entry.path)
        end = self.cursor + 1
        while end < len(self.rows) and self.rows[end][0] > depth:
            end += 1
        del self.rows[self.cursor + 1:end]
        self.rows_changed()

    def row_clicked(self, index: int) -> None:
        self.action_toggle()

    def reveal(self, path: str) -> bool:
        """Expand the directories down to `path` and put the cursor on it; False when the
        step's view does not show it."""
        self.filter = ""
        parts = path.strip("/").split("/")
        for depth in range(1, len(parts)):
            self.expanded.add("/" + "/".join(parts[:depth]))
        self.show()
        for index, (_, entry) in enumerate(self.rows):
            if entry.path == path:
                self.move_to(index)
                self.post_message(self.Moved(self, index))
                return True
        return False

    # -- drawing -------------------------------------------------------------------------------

    def row_count(self) -> int:
        return len(self.rows)

    def row_segments(self, index: int, width: int) -> list[Segment]:
        depth, entry = self.rows[index]
        style = MARK_STYLES[entry.mark]
        name = entry.name + ("/" if entry.is_dir else "")
        opened = self.filter or entry.path in self.expanded  # a filtered tree is all open
        opener = ("▾ " if opened else "▸ ") if entry.is_dir else "  "
        text = f"{MARK_CHARS[entry.mark]} {size(entry.size):>{SIZE_WIDTH}} {'  ' * depth}{opener}{name}"
        return [Segment(text[:width], style)]

    def details(self, index: int) -> str:
        entry = self.selected()
        if entry is None:
            return ""
        noun = "entry" if entry.entries == 1 else "entries"
        counted = f", {entry.entries:,} {noun}" if entry.is_dir else ""
        what = {ADDED: "added by", CHANGED: "changed by", METADATA: "metadata only changed by",
                GONE: "removed by"}.get(entry.mark)
        done = f"{what} step {self.step}" if what else "unchanged by this step"
        slash = "/" if entry.is_dir and entry.path != "/" else ""
        return f"{entry.path}{slash}: {exact(entry.size)}{counted} · {done}"

    def title(self) -> str:
        """The panel's title: the view, the hidden marks, the sort and the filter."""
        view = "this step's changes" if self.mode == CHANGES else "filesystem after this step"
        parts = [view]
        hidden = [mark for mark in MARKS if mark not in self.shown]
        if hidden:
            parts.append("hiding " + ", ".join(hidden))
        if self.by_size:
            parts.append("by size")
        if self.filter:
            parts.append(f"filter: {self.filter}")
        return " · ".join(parts)


__all__ = ["CHANGES", "FILESYSTEM", "TreeView"]
