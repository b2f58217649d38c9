"""The waste view and the help screen, each over the main screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from .panels import WasteView
from .text import key_line

# short enough to fit 80x24 with its border: keys within 13 columns, what they do within 60
KEYS = (
    ("Tab, Shift+Tab", "next / previous panel: steps, tree, findings"),
    ("Up Down j k", "move; PgUp PgDn Home End too; the mouse: click, wheel"),
    ("Space, Enter", "tree: open or close a directory (or click it again)"),
    ("Left, Right", "tree: close, or go to the parent / open"),
    ("Ctrl+L", "tree: this step's changes <-> the filesystem after it"),
    ("Ctrl+A", "tree: show or hide added entries"),
    ("Ctrl+R", "tree: show or hide removed entries"),
    ("Ctrl+M, m", "tree: show or hide changed entries (Ctrl+M is Enter in most"),
    ("", "terminals: m always works)"),
    ("Ctrl+U", "tree: show or hide unchanged entries"),
    ("Ctrl+F, /", "tree: only the paths containing a text (Esc clears)"),
    ("s", "tree: sort by size / by name"),
    ("w", "the waste view: dead bytes grouped as inspect groups them"),
    ("Enter, o", "waste view: go to the step that killed / wrote the group"),
    ("Enter", "findings: go to the last step the finding names"),
    ("?, F1", "this help"),
    ("q, Ctrl+Q", "quit (also Ctrl+C); Esc closes a view"),
)

MARKS_HELP = ("Marks: + added  ~ changed  m metadata-only  - removed;  B: the base image",
              "Sizes in decimal units (1 kB = 1000 B); the bottom line has the exact bytes")


def help_text() -> str:
    """Every key, one a line."""
    width = max(len(keys) for keys, _ in KEYS)
    lines = [f"{keys:<{width}}  {what}" for keys, what in KEYS]
    return "\n".join(["layerscope explore: keys", "", *lines, "", *MARKS_HELP])


class HelpScreen(ModalScreen):
    """Every key, over the main screen; any of Esc, q, ? or F1 closes it."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "app.pop_screen", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 100%; max-width: 82; height: auto; max-height: 100%;
                                  border: round $accent; background: $surface; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():  # scrolls in a terminal smaller than 80x24
            yield Static(help_text(), id="help", markup=False)


class WasteScreen(Screen):
    """The dead versions grouped as in inspect, with the steps that wrote and killed them."""

    BINDINGS = [Binding("escape,w", "app.pop_screen", "Back"),
                Binding("q", "app.quit", "Quit")]
    DEFAULT_CSS = """
    WasteScreen #waste { height: 1fr; border: round $accent; }
    WasteScreen #waste-details { height: 2; padding: 0 1; }
    WasteScreen #waste-keys { height: 1; padding: 0 1; background: $panel; }
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
        yield Static(key_line((("Enter", "killing step"), ("o", "writing step"),
                               ("Esc", "back"), ("q", "quit"))), id="waste-keys")

    def on_mount(self) -> None:
        self.query_one(WasteView).focus()

    def on_row_list_moved(self, message: WasteView.Moved) -> None:
        self.query_one("#waste-details", Static).update(message.rows.details(message.index))
