"""oci: transport, an OCI image layout directory; blobs are read where they lie."""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..errors import SourceError
from ..layers.blob import IndexedBlob, index_blob
from ..layers.cache import CacheStore
from ..model import Image
from .base import Progress
from .resolve import (
    METADATA_LIMIT,
    MetadataTooLarge,
    Selection,
    config_identity,
    normalize_member_name,
    resolve,
)


class DirectoryStore:
    """The files of a layout directory, never leaving it."""

    def __init__(self, root: str, progress: Progress | None) -> None:
        self._root = os.path.realpath(root)
        self._progress = progress
        self._read = 0

    def _path(self, name: str) -> str:
        if "\0" in name:
            raise SourceError(f"{name!r} is not a file name")
        path = os.path.realpath(os.path.join(self._root, normalize_member_name(name)))
        if not path.startswith(self._root + os.sep):
            raise SourceError(f"{name} points outside the layout directory")
        return path

    def has(self, name: str) -> bool:
        return os.path.isfile(self._path(name))

    def raw(self, name: str) -> bytes:
        path = self._path(name)
        if not os.path.isfile(path):  # never open a fifo or device: it could block forever
            raise SourceError(f"{name} is not a regular file in the layout")
        try:
            with open(path, "rb") as handle:
                data = handle.read(METADATA_LIMIT + 1)
        except OSError as error:
            raise SourceError(f"cannot read {name} in the layout: {error.strerror}") from error
        if len(data) > METADATA_LIMIT:
            raise MetadataTooLarge(name, os.path.getsize(path))
        return data

    def layer(self, name: str) -> IndexedBlob:
        path = self._path(name)
        if not os.path.isfile(path):
            raise SourceError(f"layer blob {name} is missing from the layout")
        self._read += 1
        if self._progress:
            self._progress(f"reading layer {self._read}: {name}")
        with open(path, "rb") as handle:
            return index_blob(handle, os.path.getsize(path))



@dataclass(frozen=True)
class OciLayoutSource:
    """An OCI image layout directory (``oci-layout`` + ``index.json`` + ``blobs/``)."""

    directory: str
    """The layout's root directory."""
    selection: Selection
    """The tag and platform to select."""

    def describe(self) -> str:
        return self.selection.ref

    def _store(self, progress: Progress | None) -> DirectoryStore:
        if not os.path.isdir(self.directory):
            raise SourceError(f"no such OCI layout directory: {self.directory}")
        store = DirectoryStore(self.directory, progress)
        if not store.has("index.json"):
            raise SourceError(f"{self.directory} is not an OCI layout: it has no index.json")
        return store

    def identity(self) -> str:
        return config_identity(self._store(None), self.selection)

    def read(self, progress: Progress | None = None, cache: CacheStore | None = None) -> Image:
        return resolve(self._store(progress), self.selection, cache)
