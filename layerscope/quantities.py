"""Parsing sizes ("300MB", "1.2GiB", "500kB", "1024") and percentages ("10%") given by users."""

from __future__ import annotations

import re
from dataclasses import dataclass

UNITS = {
    "": 1, "b": 1,
    "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
    "k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4,
    "ki": 1024, "mi": 1024**2, "gi": 1024**3, "ti": 1024**4,
}
SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")
PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


def parse_size(text: str) -> int:
    """Bytes from a size with an optional decimal (kB, MB, GB) or binary (KiB, MiB, GiB) unit.

    Raises ValueError with the accepted forms when the text is not a size.
    """
    match = SIZE.match(str(text))
    unit = match.group(2).lower() if match else None
    if match is None or unit not in UNITS:
        raise ValueError(f"{text!r} is not a size (examples: 1048576, 300MB, 1.2GiB, 500kB)")
    return int(round(float(match.group(1)) * UNITS[unit]))


@dataclass(frozen=True)
class Threshold:
    """A limit given either in bytes or as a percentage."""

    bytes: int | None = None
    """The limit in bytes, when given as a size."""
    percent: float | None = None
    """The limit in percent, when given as "N%"."""

    def exceeded_by(self, delta: int, base: int) -> bool:
        """True when delta (bytes) is strictly above the limit; percent is of base."""
        if self.bytes is not None:
            return delta > self.bytes
        return base > 0 and 100.0 * delta / base > (self.percent or 0.0) or (
            base == 0 and delta > 0)


def parse_threshold(text: str) -> Threshold:
    """A size or a percentage ("50MB", "10%")."""
    match = PERCENT.match(str(text))
    if match:
        return Threshold(percent=float(match.group(1)))
    try:
        return Threshold(bytes=parse_size(text))
    except ValueError:
        raise ValueError(f"{text!r} is neither a size (300MB, 1.2GiB) nor a percentage (10%)") from None
