"""dir: transport, containers/image's directory layout (`skopeo copy ... dir:PATH` writes it):
`manifest.json` (one image manifest, OCI or Docker schema 2), `version`, and every blob (the
config and the layers) named by its digest's hex alone. Blobs are read where they lie."""

from __future__ import annotations

import os

from ..errors import SourceError
from ..layers.cache import CacheStore
from ..layers.limits import ReadOptions
from ..model import Image
from . import platforms
from .base import Progress
from .documents import blob_name, expect, parse_json, read_document, read_json
from .manifests import INDEX_TYPES, MANIFEST_TYPES, Located, Selection, manifest_parts
from .oci_layout import DirectoryStore
from .resolve import resolve

VERSION_PREFIX = b"Directory Transport Version: "
"""How the layout's `version` file starts (1.0 and 1.1 name blobs the same way)."""


def _file_name(digest: object) -> str:
    """Where the directory layout keeps a blob: its digest's hex, for sha256 (the only
    algorithm containers/image writes there; another keeps its `algorithm-` prefix)."""
    _, algorithm, encoded = blob_name(digest).split("/", 2)
    return encoded if algorithm == "sha256" else f"{algorithm}-{encoded}"


class DirLayoutSource:
    """A containers/image directory layout holding one image.

    One object serves one run: the metadata identity() finds is kept for read()."""

    def __init__(self, directory: str, selection: Selection) -> None:
        self.directory = directory
        """The layout's directory."""
        self.selection = selection
        """The reference and platform asked for."""
        self._located: Located | None = None
        self._documents: tuple[str, ...] = ()

    def describe(self) -> str:
        return self.selection.ref

    def _store(self, progress: Progress | None,
               options: ReadOptions | None = None) -> DirectoryStore:
        if not os.path.isdir(self.directory):
            raise SourceError(f"no such directory: {self.directory}",
                              hint="write one with `skopeo copy IMAGE dir:PATH`")
        store = DirectoryStore(self.directory, progress, options)
        if not store.has("manifest.json"):
            raise SourceError(f"{self.directory} is not a dir: layout: it has no manifest.json",
                              hint="an OCI layout (index.json) is read as oci:PATH")
        if store.has("version") and not store.raw("version").startswith(VERSION_PREFIX):
            raise SourceError(f"{self.directory}/version is not a dir: layout's version file")
        return store

    def _locate(self, store: DirectoryStore) -> Located:
        if self._located is None:
            manifest = expect(read_json(store, "manifest.json", "manifest"), dict,
                              "manifest.json", "the document")
            media_type = manifest.get("mediaType")
            if media_type in INDEX_TYPES:
                raise SourceError(f"{self.directory} holds a manifest list (skopeo copy --all)",
                                  hint="copy one platform: skopeo copy --override-arch ARCH ... "
                                       "dir:PATH, or copy to oci:DIR and use --platform")
            if media_type is not None and media_type not in MANIFEST_TYPES:
                raise SourceError(f"unsupported manifest media type {media_type!r}")
            layers, config = manifest_parts(manifest, "manifest.json", _file_name)
            for name, _, _ in layers:
                if not store.has(name):
                    raise SourceError(f"layer blob {name} is missing from {self.directory}")
            config_bytes = read_document(store, _file_name(config.get("digest")), "image config",
                                         config.get("digest"))
            if self.selection.platform is not None:
                parsed = parse_json(config_bytes, "image config")
                if isinstance(parsed, dict):
                    platforms.check_image_platform(self.selection.platform, parsed,
                                                   self.selection.ref)
            self._located = Located(config_bytes, layers, ())
            self._documents = tuple(store.documents)
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
