"""The waste view and the help screen, each over the main screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Static

from .panels import WasteView

KEYS = (
    ("Tab / Shift+Tab", "next / previous panel (steps, tree, findings)"),
    ("Up Down PgUp PgDn Home End", "move (also j, k; the mouse: click, wheel)"),
    ("Space / Enter", "tree: collapse or expand the directory (a second click too)"),
    ("Left / Right", "tree: collapse (or go to the parent) / expand"),
    ("Ctrl+L", "tree: this step's changes <-> the filesystem after this step"),
    ("Ctrl+A", "tree: show or hide added entries"),
    ("Ctrl+R", "tree: show or hide removed entries"),
    ("Ctrl+M or m", "tree: show or hide changed entries (terminals send Ctrl+M as Enter)"),
    ("Ctrl+U", "tree: show or hide unchanged entries"),
    ("Ctrl+F or /", "tree: only paths containing a text (Enter applies, Esc clears)"),
    ("s", "tree: sort by size / by name"),
    ("w", "waste view: dead bytes grouped as inspect groups them"),
    ("Enter (waste)", "go to the step that killed the group (o: the step that wrote it)"),
    ("Enter (findings)", "go to the last step the finding names"),
    ("? / F1", "this help"),
    ("q / Ctrl+Q / Ctrl+C", "quit (Esc closes a view)"),
)

MARKS_HELP = ("Marks: + added  ~ changed  m metadata-only (same bytes, new mode/owner)  - removed. "
              "B marks the base image's steps. Sizes are decimal (kB = 1000 B); the line at the "
              "bottom gives exact bytes.")


def help_text() -> str:
    """Every key, one a line."""
    width = max(len(keys) for keys, _ in KEYS)
    lines = [f"{keys:<{width}}  {what}" for keys, what in KEYS]
    return "\n".join(["layerscope explore: keys", "", *lines, "", MARKS_HELP])


class HelpScreen(ModalScreen):
    """Every key, over the main screen; any of Esc, q, ? or F1 closes it."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "app.pop_screen", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: 100%; max-width: 100; height: auto; max-height: 100%;
                            border: round $accent; background: $surface; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(help_text(), id="help", markup=False)


class WasteScreen(Screen):
    """The dead versions grouped as in inspect, with the steps that wrote and killed them."""

    BINDINGS = [Binding("escape,w", "app.pop_screen", "Back"),
                Binding("q", "app.quit", "Quit")]
    DEFAULT_CSS = """
    WasteScreen #waste { height: 1fr; border: round $accent; }
    WasteScreen #waste-details { height: 2; padding: 0 1; }
    """

    def __init__(self, groups: list, total: int) -> None:
        super().__init__()
        self.groups = groups
        self.total = total

    def compose(self) -> ComposeResult:
        view = WasteView(self.groups, id="waste")
        view.border_title = (f"Wasted {self.total:,} B in {len(self.groups):,} group(s): size, "
                             "why, written -> killed by step, path")
        yield view
        yield Static("", id="waste-details", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(WasteView).focus()

    def on_row_list_moved(self, message: WasteView.Moved) -> None:
        self.query_one("#waste-details", Static).update(message.rows.details(message.index))
