"""What a reader that finishes an image's layers one by one, bottom first, can hand them to
while it reads on (the layer stores' readers can: sources/overlay_layers.py), so that the
analysis stacks each layer while the next ones are still being read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ..model import FileEntry


class LayerSink(Protocol):
    """Takes an image's layer indexes in image order, each as soon as it is final."""

    def take(self, position: int, diff_id: str, entries: tuple[FileEntry, ...],
             lower_hashes: Sequence[tuple[int, str, int]]) -> None:
        """The entries of the layer at `position`, every layer below it given already.
        `lower_hashes` are (position, path, content hash) of regular files of lower layers
        that were hashed only now, because this layer writes their path again: the same path
        compared across layers is the only use a reader that skips hashing has for a hash."""
        ...
