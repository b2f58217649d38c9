"""`layerscope explore A B`: the changed files of two images, by directory, with deltas."""

from __future__ import annotations

from rich.segment import Segment
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from ..analysis.diff import ADDED, CHANGED, METADATA, REMOVED, DiffReport
from ..analysis.step_tree import GONE
from .rows import RowList
from .screens import HelpScreen
from .text import MARK_CHARS, MARK_STYLES, PLAIN, exact, key_line, signed, size

MARK_OF = {ADDED: ADDED, REMOVED: GONE, CHANGED: CHANGED, METADATA: METADATA}


class DiffNode:
    """A directory (or file) of the changed paths, with the changes summed under it; built up
    one change at a time, so not frozen."""

    __slots__ = ("path", "name", "size_a", "size_b", "files", "change", "children")

    def __init__(self, path: str, name: str) -> None:
        self.path = path  # absolute path
        self.name = name  # last component
        self.size_a = 0  # bytes of the changed files under it in A
        self.size_b = 0  # the same in B
        self.files = 0  # changed files under it
        self.change: str | None = None  # a file's change (added, removed, ...); None: a directory
        self.children: dict[str, DiffNode] = {}  # directories and files below, by name

    @property
    def delta(self) -> int:
        """B - A in bytes."""
        return self.size_b - self.size_a


def change_tree(report: DiffReport) -> DiffNode:
    """The changed files folded into their directories."""
    root = DiffNode("/", "/")
    for change in report.files:
        node = root
        node.size_a += change.size_a
        node.size_b += change.size_b
        node.files += 1
        parts = change.path.strip("/").split("/")
        for depth, name in enumerate(parts):
            child = node.children.get(name)
            if child is None:
                child = node.children[name] = DiffNode("/" + "/".join(parts[: depth + 1]), name)
            child.size_a += change.size_a
            child.size_b += change.size_b
            child.files += 1
            node = child
        node.change = change.change
    return root


def ordered(node: DiffNode) -> list[DiffNode]:
    """A directory's children, largest change first, then by name."""
    return sorted(node.children.values(), key=lambda n: (-abs(n.delta), n.name))


class ChangesView(RowList):
    """The change tree, one row a line; Space or Enter opens and closes a directory."""

    BINDINGS = [Binding("space,enter", "toggle", "Collapse/expand", show=False)]

    def __init__(self, root: DiffNode, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.root = root
        self.expanded: set[str] = set()
        self.rows: list[tuple[int, DiffNode]] = [(0, child) for child in ordered(root)]

    def row_count(self) -> int:
        return len(self.rows) or 1

    def row_segments(self, index: int, width: int) -> list[Segment]:
        if not self.rows:
            return [Segment("no file differs", PLAIN)]
        depth, node = self.rows[index]
        mark = MARK_OF.get(node.change or "", "unchanged") if node.change else "unchanged"
        opener = "  " if node.change else ("▾ " if node.path in self.expanded else "▸ ")
        tail = "" if node.change else "/"
        text = (f"{MARK_CHARS[mark]} {signed(node.delta):>10} {'  ' * depth}{opener}"
                f"{node.name}{tail}")
        return [Segment(text[:width], MARK_STYLES[mark])]

    def details(self, index: int) -> str:
        if not self.rows:
            return ""
        node = self.rows[index][1]
        what = node.change or f"{node.files:,} changed file(s)"
        return (f"{node.path}: {what} · A {exact(node.size_a)} · B {exact(node.size_b)} · "
                f"delta {node.delta:+,} B")

    def action_toggle(self) -> None:
        if not self.rows:
            return
        depth, node = self.rows[self.cursor]
        if node.change:
            return
        if node.path in self.expanded:
            self.expanded.discard(node.path)
            end = self.cursor + 1
            while end < len(self.rows) and self.rows[end][0] > depth:
                end += 1
            del self.rows[self.cursor + 1:end]
        else:
            self.expanded.add(node.path)
            self.rows[self.cursor + 1:self.cursor + 1] = [(depth + 1, child)
                                                          for child in ordered(node)]
        self.rows_changed()

    def row_clicked(self, index: int) -> None:
        self.action_toggle()


class DiffApp(App):
    """Two images: the files that differ, by directory, with their byte deltas."""

    TITLE = "layerscope explore"
    ENABLE_COMMAND_PALETTE = False
    CSS = """
    #summary { height: auto; padding: 0 1; }
    #changes { height: 1fr; border: round $accent; }
    #details { height: 2; padding: 0 1; }
    #keys { height: 1; padding: 0 1; background: $panel; }
    """
    BINDINGS = [
        Binding("q,ctrl+q", "quit", "Quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        Binding("question_mark,f1", "help", "Help"),
    ]

    def __init__(self, report: DiffReport) -> None:
        super().__init__()
        self.report = report

    def compose(self) -> ComposeResult:
        report = self.report
        yield Static(f"A {report.a.ref}: {size(report.a.size)}   B {report.b.ref}: "
                     f"{size(report.b.size)}   delta {signed(report.size_delta)} "
                     f"({report.size_delta:+,} B)   shared layers {report.shared_layers}",
                     id="summary", markup=False)
        root = change_tree(report)
        view = ChangesView(root, id="changes")
        view.border_title = (f"{root.files:,} changed file(s), {signed(root.delta)}: "
                             "by directory, largest change first")
        yield view
        yield Static("", id="details", markup=False)
        yield Static(key_line((("Space", "open/close"), ("?", "help"), ("q", "quit"))), id="keys")

    def on_mount(self) -> None:
        view = self.query_one(ChangesView)
        view.rows_changed()
        view.focus()

    def on_row_list_moved(self, message: RowList.Moved) -> None:
        self.query_one("#details", Static).update(message.rows.details(message.index))

    def action_help(self) -> None:
        if len(self.screen_stack) == 1:
            self.push_screen(HelpScreen())
