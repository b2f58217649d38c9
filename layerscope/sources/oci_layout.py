"""oci: transport, an OCI image layout directory; blobs are read where they lie."""

from __future__ import annotations

import json
import os

from ..errors import SourceError
from ..layers.blob import IndexedBlob, index_blob
from ..layers.cache import CacheStore
from ..layers.limits import ReadOptions
from ..model import Image
from .base import Progress
from .documents import METADATA_LIMIT, BlobStore, check_metadata_size, normalize_member_name
from .manifests import REF_NAME, Located, Selection, locate_config
from .resolve import resolve


class DirectoryStore:
    """The files of a layout directory, never leaving it."""

    def __init__(self, root: str, progress: Progress | None,
                 options: ReadOptions | None = None) -> None:
        self._root = os.path.realpath(root)
        self._progress = progress
        self._options = options
        self._read = 0
        self.documents: list[str] = []
        """The documents read so far (index.json, manifests, the config), as named in the
        layout: a symlink among them is followed afresh whenever the name is looked at."""

    def named(self, name: str) -> str:
        """The path of a layout file as it is named, below the layout's own real path."""
        return os.path.join(self._root, normalize_member_name(name))

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
        self.documents.append(self.named(name))
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

def refuse_unnamed_choice(store: BlobStore, path: str, transport: str) -> None:
    """Several images in the index and nothing to choose by: podman, skopeo and buildah write
    one descriptor per copied image into a shared layout (or oci-archive), named by its
    ref.name annotation and without a platform, so only the name can choose (a --platform hint
    cannot help)."""
    if not store.has("index.json"):
        return
    try:
        index = json.loads(store.raw("index.json"))
        manifests = [d for d in index.get("manifests") or () if isinstance(d, dict)]
    except (ValueError, AttributeError, RecursionError, SourceError):
        return  # locate_config reports a malformed or missing index in its own words
    if len(manifests) < 2 or all(isinstance(d.get("platform"), dict) for d in manifests):
        return
    names = [str((d.get("annotations") or {}).get(REF_NAME) or "<unnamed>") for d in manifests
             if isinstance(d.get("annotations") or {}, dict)]
    example = next((n for n in names if n != "<unnamed>"), "REF")
    what = "layout" if transport == "oci" else "archive"
    raise SourceError(f"the {what} {path} holds {len(manifests)} images: "
                      f"{', '.join(sorted(names))}",
                      hint=f"name one: {transport}:{path}:{example}")


class OciLayoutSource:
    """An OCI image layout directory (``oci-layout`` + ``index.json`` + ``blobs/``).

    One object serves one run: the config identity() finds is kept for read()."""

    def __init__(self, directory: str, selection: Selection) -> None:
        self.directory = directory
        """The layout's root directory."""
        self.selection = selection
        """The tag and platform to select."""
        self._located: Located | None = None
        self._documents: tuple[str, ...] = ()

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

    def _locate(self, store: DirectoryStore) -> Located:
        """The selected image's metadata, found once a run, with every layer blob it names
        present: a layer whose index is cached is still part of the image, and a layout
        without it fails from the cache as a first read does."""
        if self._located is None:
            if self.selection.tag is None:
                refuse_unnamed_choice(store, self.directory, "oci")
            located = locate_config(store, self.selection)
            for name, _, _ in located.layers:
                if not store.has(name):
                    raise SourceError(f"layer blob {name} is missing from the layout")
            self._located, self._documents = located, tuple(store.documents)
        return self._located

    def identity(self) -> str:
        return self._locate(self._store(None)).image_id

    def local_files(self) -> tuple[str, ...]:
        store = self._store(None)
        located = self._locate(store)
        blobs = tuple(store.named(name) for name, _, _ in located.layers)
        return tuple(dict.fromkeys(self._documents + blobs))

    def read(self, progress: Progress | None = None, cache: CacheStore | None = None,
             options: ReadOptions | None = None) -> Image:
        store = self._store(progress, options)
        return resolve(store, self.selection, cache, options, self._locate(store))
