"""oci: transport, an OCI image layout directory; blobs are read where they lie."""

from __future__ import annotations

import os

from ..errors import SourceError
from ..layers.blob import IndexedBlob, index_blob
from ..layers.cache import CacheStore
from ..layers.limits import ReadOptions
from ..model import Image
from .base import Progress
from .documents import METADATA_LIMIT, check_metadata_size, normalize_member_name
from .manifests import Located, Selection, locate_config
from .resolve import resolve


class DirectoryStore:
    """The files of a layout directory, never leaving it."""

    def __init__(self, root: str, progress: Progress | None,
                 options: ReadOptions | None = None) -> None:
        self._root = os.path.realpath(root)
        self._progress = progress
        self._options = options
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
                check_metadata_size(name, os.fstat(handle.fileno()).st_size)
                return handle.read(METADATA_LIMIT + 1)  # grown since: read_document refuses it
        except OSError as error:
            raise SourceError(f"cannot read {name} in the layout: {error.strerror}") from error

    def layer(self, name: str) -> IndexedBlob:
        path = self._path(name)
        if not os.path.isfile(path):
            raise SourceError(f"layer blob {name} is missing from the layout")
        self._read += 1
        if self._progress:
            self._progress(f"reading layer {self._read}: {name}")
        with open(path, "rb") as handle:
            return index_blob(handle, os.path.getsize(path), options=self._options)

class OciLayoutSource:
    """An OCI image layout directory (``oci-layout`` + ``index.json`` + ``blobs/``).

    One object serves one run: the config identity() finds is kept for read()."""

    def __init__(self, directory: str, selection: Selection) -> None:
        self.directory = directory
        """The layout's root directory."""
        self.selection = selection
        """The tag and platform to select."""
        self._located: Located | None = None

    def describe(self) -> str:
        return self.selection.ref

    def _store(self, progress: Progress | None,
               options: ReadOptions | None = None) -> DirectoryStore:
        if not os.path.isdir(self.directory):
            raise SourceError(f"no such OCI layout directory: {self.directory}")
        store = DirectoryStore(self.directory, progress, options)
        if not store.has("index.json"):
            raise SourceError(f"{self.directory} is not an OCI layout: it has no index.json")
        return store

    def identity(self) -> str:
        if self._located is None:
            self._located = locate_config(self._store(None), self.selection)
        return self._located.image_id

    def read(self, progress: Progress | None = None, cache: CacheStore | None = None,
             options: ReadOptions | None = None) -> Image:
        return resolve(self._store(progress, options), self.selection, cache, options,
                       self._located)
