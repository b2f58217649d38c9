"""A list of rows drawn a line at a time: the one widget every panel of the explorer is made of.

Textual's own Tree and DataTable keep an object per row and lay them all out; a directory of
100,000 entries would cost that per step. Here a panel keeps plain rows in a list and draws only
the lines on screen (the line API), so moving the cursor repaints two lines whatever the list
holds."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

CURSOR = Style(reverse=True)
DIM_CURSOR = Style(underline=True)


class RowList(ScrollView, can_focus=True):
    """Rows with a cursor; subclasses say how many rows there are and how one is drawn."""

    # rows are cut to the width: a horizontal scroll bar would only hide a row
    DEFAULT_CSS = """
    RowList { overflow-x: hidden; scrollbar-size-vertical: 1; }
    """

    BINDINGS = [
        Binding("up,k", "move(-1)", "Up", show=False),
        Binding("down,j", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
    ]

    class Moved(Message):
        """The cursor is on another row (or the rows changed under it)."""

        def __init__(self, rows: RowList, index: int) -> None:
            super().__init__()
            self.rows = rows
            self.index = index

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.cursor = 0
        self._count = 0

    # -- for subclasses ------------------------------------------------------------------------

    def row_count(self) -> int:
        """How many rows there are."""
        return 0

    def row_segments(self, index: int, width: int) -> list[Segment]:
        """The segments of one row, at most `width` cells wide."""
        return []

    def details(self, index: int) -> str:
        """The exact figures of a row, for the details line."""
        return ""

    # -- drawing -------------------------------------------------------------------------------

    def rows_changed(self, keep_cursor: bool = True) -> None:
        """Call after the rows changed: sizes the scroll area and repaints."""
        self._count = self.row_count()
        if not keep_cursor:
            self.cursor = 0
        self.cursor = max(0, min(self.cursor, self._count - 1))
        self.virtual_size = Size(max(self.size.width, 1), self._count)
        self.refresh()
        self._show_cursor()
        if self._count:
            self.post_message(self.Moved(self, self.cursor))

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width  # without the scroll bar
        if index >= self._count:
            return Strip.blank(width, self.rich_style)
        segments = self.row_segments(index, width)
        strip = Strip(segments).crop_extend(0, width, self.rich_style)
        if index == self.cursor:
            strip = strip.apply_style(CURSOR if self.has_focus else DIM_CURSOR)
        return strip

    def on_mount(self) -> None:
        self.rows_changed()

    def on_focus(self) -> None:
        self.refresh_line(self.cursor)

    def on_blur(self) -> None:
        self.refresh_line(self.cursor)

    def on_resize(self) -> None:
        self.virtual_size = Size(max(self.size.width, 1), self._count)

    # -- moving --------------------------------------------------------------------------------

    def move_to(self, index: int) -> None:
        """Put the cursor on a row (clamped), repainting only the two rows involved."""
        if self._count == 0:
            return
        index = max(0, min(index, self._count - 1))
        if index == self.cursor:
            return
        old, self.cursor = self.cursor, index
        self.refresh_line(old)
        self.refresh_line(index)
        self._show_cursor()
        self.post_message(self.Moved(self, index))

    def _show_cursor(self) -> None:
        width = max(self.size.width, 1)
        self.scroll_to_region(Region(0, self.cursor, width, 1), animate=False, force=True)

    def action_move(self, step: int) -> None:
        self.move_to(self.cursor + step)

    def action_page(self, direction: int) -> None:
        self.move_to(self.cursor + direction * max(1, self.size.height - 1))

    def action_jump(self, index: int) -> None:
        self.move_to(self._count - 1 if index < 0 else index)

    def on_click(self, event) -> None:
        inside = event.get_content_offset(self)  # None on the border or the scroll bar
        if inside is None:
            return
        index = self.scroll_offset.y + inside.y
        if 0 <= index < self._count:
            if index == self.cursor:
                self.row_clicked(index)
            self.move_to(index)

    def row_clicked(self, index: int) -> None:
        """A click on the row under the cursor (a tree toggles a directory)."""
