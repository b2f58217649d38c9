"""Fitting text to the reader's page: the width, cutting without hiding what matters, showing
where two texts differ, and colour on a terminal only.

Every human renderer cuts through these functions, so a path keeps its file name and a group
its own count wherever it is shown, and `--no-trunc` means the same thing in every command.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TextIO

DEFAULT_WIDTH = 80
"""Columns when neither COLUMNS nor a terminal says (docker and git assume the same)."""
ELLIPSIS = "…"
MIN_CUT = 8
"""No text is cut shorter than this: below it a cell says nothing."""
_COUNT = re.compile(r"^(.*?)( \([\d,]+ (?:files?|paths?)\))$")
"""A group's label ends with its own count, as in 'scipy/special/* (41 files)'."""
_CONTROL = {code: f"\\x{code:02x}" for code in (*range(32), 127)} | {10: "\\n", 9: "\\t"}
"""A path keeps its spaces (they are part of its name) but shows control characters escaped,
so a newline in a file name cannot break a table row."""
_SGR = {"added": "32", "changed": "33", "removed": "31", "dead": "35", "bold": "1"}
"""ANSI colours by meaning: dive's green added, yellow changed, red removed; dead bytes
(written, then lost to a later step) magenta, so they never read as a removal."""


@dataclass(frozen=True)
class Fit:
    """How the human formats lay text out for this reader."""

    width: int = DEFAULT_WIDTH
    """Columns a line may take."""
    truncate: bool = True
    """False with --no-trunc: no text is cut, lines grow as long as their content."""
    wide: bool = False
    """--wide: every column of the tables, even past the width (the text in them still cut)."""
    colour: bool = False
    """ANSI colour for added, changed, removed and dead (a terminal, NO_COLOR unset)."""


PLAIN = Fit()
"""80 columns, cut, no colour: files, pipes, and every exact-output test that names none."""


def terminal_width(environ: Mapping[str, str], stream: TextIO | None) -> int:
    """COLUMNS when it is a positive number, else the terminal's width, else 80."""
    value = environ.get("COLUMNS", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    if stream is not None and _is_terminal(stream):
        try:
            columns = os.get_terminal_size(stream.fileno()).columns
        except (OSError, ValueError):
            columns = 0
        if columns > 0:
            return columns
    return DEFAULT_WIDTH


def wants_colour(environ: Mapping[str, str], stream: TextIO | None) -> bool:
    """Colour on a terminal only: off when piped or redirected, with NO_COLOR set to anything
    (no-color.org), or on a dumb terminal."""
    if environ.get("NO_COLOR") or environ.get("TERM") == "dumb":
        return False
    return stream is not None and _is_terminal(stream)


def for_reader(environ: Mapping[str, str], stream: TextIO | None, *, no_trunc: bool = False,
               wide: bool = False) -> Fit:
    """The fit for a report written to `stream` (None: a file, which gets PLAIN's width and no
    colour whatever the terminal)."""
    return Fit(width=terminal_width(environ, stream), truncate=not no_trunc, wide=wide,
               colour=wants_colour(environ, stream))


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def one_line(text: str) -> str:
    """Runs of whitespace (newlines of a multi-line RUN included) as one space."""
    return " ".join(text.split())


def cut_end(text: str, width: int, fit: Fit = PLAIN) -> str:
    """One line of at most `width` characters, an ellipsis at the end where it was cut (never
    cut with --no-trunc)."""
    line = one_line(text)
    width = max(width, MIN_CUT)
    if not fit.truncate or len(line) <= width:
        return line
    return line[: width - 1] + ELLIPSIS


def cut_path(path: str, width: int, fit: Fit = PLAIN) -> str:
    """A path of at most `width` characters, cut in the middle: the file name and as many of
    its parent directories as fit in two thirds of the width stay whole, then the path's start;
    a group's own count ('(41 files)') is never cut."""
    path = path.translate(_CONTROL)
    width = max(width, MIN_CUT)
    if not fit.truncate or len(path) <= width:
        return path
    match = _COUNT.match(path)
    body, count = (match.group(1), match.group(2)) if match else (path, "")
    room = width - len(count)
    if room < MIN_CUT:
        return cut_end(path, width)
    trailing = "/" if body.endswith("/") and len(body) > 1 else ""
    parts = body[: len(body) - len(trailing)].split("/")
    tail = parts[-1] + trailing
    if len(tail) + 1 >= room:
        # The name alone is too long: keep its end, where the extension says what it is.
        return ELLIPSIS + tail[len(tail) - room + 1:] + count
    limit = (room - 1) * 2 // 3
    for part in reversed(parts[1:-1]):
        longer = part + "/" + tail
        if len(longer) + 1 > limit:
            break
        tail = longer
    tail = "/" + tail
    head = body[: room - 1 - len(tail)]
    return head + ELLIPSIS + tail + count


def show_difference(a: str, b: str, width: int, fit: Fit = PLAIN) -> tuple[str, str]:
    """Two texts of at most `width` characters each, showing where they differ: when the
    first difference lies past the cut, both start (after an ellipsis) a third of the width
    before it, so the part that differs is always on screen."""
    a, b = one_line(a), one_line(b)
    width = max(width, MIN_CUT)
    if not fit.truncate or (len(a) <= width and len(b) <= width):
        return a, b
    same = 0
    for left, right in zip(a, b):
        if left != right:
            break
        same += 1
    if same < width - 1 - (width // 3):
        return cut_end(a, width), cut_end(b, width)
    start = same - width // 3
    return (_window(a, start, width), _window(b, start, width))


def _window(text: str, start: int, width: int) -> str:
    """text from `start`, behind an ellipsis, cut at the end to the width."""
    rest = ELLIPSIS + text[start:]
    return rest if len(rest) <= width else rest[: width - 1] + ELLIPSIS


def paint(text: str, meaning: str, fit: Fit) -> str:
    """text in the colour of its meaning (added, changed, removed, dead, bold) when colour is
    on; unchanged otherwise."""
    if not fit.colour or not text:
        return text
    return f"\x1b[{_SGR[meaning]}m{text}\x1b[0m"
