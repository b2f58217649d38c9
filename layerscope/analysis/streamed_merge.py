"""The merge made while the image is still being read: a layers.sink.LayerSink that stacks each
layer as the reader hands it over, so that on two cores the stacking runs while the other core
still walks the layers above (the engine store's reader, sources/overlay_layers.py).

A reader that skips hashing hashes a lower file only when a later layer writes its path again,
after that lower layer was stacked; such a hash is written into the version the tree shows at
the path before the later layer is stacked, which is the only version the later layer's entry
is compared with (merge.classify). A version already dead keeps its entry unhashed: nothing
reads a dead version's hash."""

from __future__ import annotations

from collections.abc import Sequence

from ..model import FileEntry, Image
from .merge import MergedIndex, MergeResult
from .tree import find_version


class StreamedMerge:
    """Stacks the layers it is handed; gives the merge of an image read once, in order."""

    def __init__(self) -> None:
        self._index = MergedIndex()
        self._taken: list[tuple[str, int]] = []  # (diff ID, entries) of each layer stacked
        self._broken = False  # handed a layer out of order: a second read began

    def take(self, position: int, diff_id: str, entries: tuple[FileEntry, ...],
             lower_hashes: Sequence[tuple[int, str, int]]) -> None:
        if self._broken or position != len(self._taken):
            self._broken = True
            return
        root = self._index.root
        for layer, path, content_hash in lower_hashes:
            version = find_version(root, path)
            if version is not None and version.layer == layer:
                version.entry = version.entry._replace(content_hash=content_hash)
        self._index.apply(position, entries)
        self._taken.append((diff_id, len(entries)))

    def result(self, image: Image) -> MergeResult | None:
        """The merge of `image` when the layers stacked are its layers, each once and in order
        (a read through the layer store that finished); None otherwise (another source, layers
        from the cache, or a store read that gave way to the export part way)."""
        if self._broken or self._taken != [(layer.diff_id, len(layer.files))
                                           for layer in image.layers]:
            return None
        return self._index.result(len(image.layers))
