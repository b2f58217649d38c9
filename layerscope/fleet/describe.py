"""What the client learns of an image before any task runs: its ID (images the database holds
are not read again) and, where the image's metadata is a local file, its stack key, so images
on the same layers with the same steps (re-tags, rebuilds that changed a label) wait for one
analysis instead of each sending a task. Metadata only: no layer is read."""

from __future__ import annotations

from pathlib import Path

from ..errors import LayerscopeError
from ..layers.blob import IndexedBlob
from ..layers.cache import CacheStore
from .jobs import stack_key

_NO_FILES = IndexedBlob((), 0, 0, "tar")


class StandIns(CacheStore):
    """A cache that answers every layer with an empty index: a source reading through it builds
    the image from its metadata alone (config, manifest, history), reading no layer."""

    def __init__(self) -> None:
        super().__init__(Path("/nonexistent"), persistent=False)

    def get(self, diff_id: str) -> IndexedBlob:
        return _NO_FILES

    def __setitem__(self, diff_id: str, blob: IndexedBlob) -> None:
        pass  # nothing is read through it, so nothing is kept


def describe(ref: str, platform: str | None, access) -> tuple[str | None, str | None]:
    """(image ID, stack key) from metadata, each None when this machine cannot tell cheaply:
    the source cannot name its ID without reading it all, or it is not made of local files
    (the engine, a registry: a worker's read finds the key). An unreadable reference is
    (None, None): a worker's read is the judge, and records its error."""
    from ..layers.limits import ReadOptions
    from ..sources.base import Identifiable, LocalFiles
    from ..sources.reference import open_source

    try:
        source = open_source(ref, platform, access)
        image_id = source.identity() if isinstance(source, Identifiable) else None
    except (LayerscopeError, OSError):
        return None, None
    if image_id is None or not isinstance(source, LocalFiles):
        return image_id, None
    try:
        return image_id, stack_key(source.read(None, StandIns(), ReadOptions(hash_every_file=True)))
    except (LayerscopeError, OSError):
        return image_id, None
