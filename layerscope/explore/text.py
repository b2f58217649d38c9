"""Sizes and marks as the explorer shows them (decimal units, as `docker images` does)."""

from __future__ import annotations

import humanize
from rich.style import Style
from rich.text import Text

from ..analysis.step_tree import ADDED, CHANGED, GONE, METADATA, UNCHANGED

# a mark is a character first, so NO_COLOR (and a monochrome terminal) still tells them apart
MARK_CHARS = {ADDED: "+", CHANGED: "~", METADATA: "m", GONE: "-", UNCHANGED: " "}
MARK_STYLES = {
    ADDED: Style(color="green"),
    CHANGED: Style(color="yellow"),
    METADATA: Style(color="cyan"),
    GONE: Style(color="red"),
    UNCHANGED: Style(),  # the same as PLAIN
}
# every segment carries a Style, never None: Textual's NO_COLOR filter reads each one
PLAIN = Style()
BASE_STYLE = Style(dim=True)
DEAD_STYLE = Style(color="red")


def size(value: int) -> str:
    """355400000 -> '355.4 MB'; 18 -> '18 B'."""
    text = humanize.naturalsize(value, format="%.1f")
    return text.replace(" Bytes", " B").replace(" Byte", " B")


def signed(value: int) -> str:
    """A delta with its sign: '+41.0 MB', '-3.2 kB', '0 B'."""
    if value == 0:
        return "0 B"
    return ("+" if value > 0 else "-") + size(abs(value))


def exact(value: int) -> str:
    """The exact bytes with the humanized figure: '1,234,567 B (1.2 MB)'."""
    return f"{value:,} B ({size(value)})"


def one_line(text: str, width: int) -> str:
    """One line, at most width characters, with an ellipsis where it was cut."""
    line = " ".join(text.split())
    if width <= 0:
        return ""
    return line if len(line) <= width else line[: width - 1] + "…"


def key_line(keys: tuple[tuple[str, str], ...]) -> Text:
    """The bottom line of keys: each key in bold, then what it does. Textual's Footer would do,
    at 30-40 ms of every start-up."""
    line = Text()
    for key, what in keys:
        line.append(key, Style(bold=True))
        line.append(f" {what}  ")
    return line
