"""The source interface: something that turns a reference into an indexed Image."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from ..errors import SourceError
from ..model import Image

Progress = Callable[[str], None]
"""Receives short status lines ("layer 3/7"); the CLI decides whether and where to show them."""

__all__ = ["ImageSource", "Progress", "SourceError"]


class ImageSource(Protocol):
    """Reads one image, with every layer indexed, in a single pass where the transport allows."""

    def describe(self) -> str:
        """A short name for messages: the reference the user gave."""
        ...

    def read(self, progress: Progress | None = None) -> Image:
        """Read the image's metadata and index every layer."""
        ...
