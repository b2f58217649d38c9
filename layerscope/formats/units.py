"""Human-readable sizes in decimal units, as `docker images` shows them."""

from __future__ import annotations

import humanize


def size(value: int) -> str:
    """355400000 -> '355.4 MB'; 18 -> '18 B'."""
    text = humanize.naturalsize(value, format="%.1f")
    return text.replace(" Bytes", " B").replace(" Byte", " B")


def percent(part: int, whole: int) -> str:
    """Share of a whole as '12.3%' ('0.0%' for an empty whole)."""
    return f"{(100.0 * part / whole) if whole else 0.0:.1f}%"


def shorten(text: str, width: int) -> str:
    """One line, at most width characters, with an ellipsis where it was cut."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def signed_size(value: int) -> str:
    """A delta with its sign: '+41.0 MB', '-3.2 kB', '0 B'."""
    if value == 0:
        return "0 B"
    return ("+" if value > 0 else "-") + size(abs(value))


def signed_percent(part: int, whole: int) -> str:
    """A delta as a share of the old value: '+12.3%' ('n/a' when the old value is 0)."""
    if whole == 0:
        return "n/a"
    return f"{100.0 * part / whole:+.1f}%"
