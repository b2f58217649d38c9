"""docker:// transport: an image read where it lives, over the Registry HTTP API v2 (OCI
distribution), without a daemon.

The manifest and config come first; layers whose diff ID the cache holds are never fetched;
the others stream straight into the layer reader (decompressed on the fly, never written to
disk), a few at once, each checked against its digest as it streams: an index from a blob that
fails it is never kept."""

from __future__ import annotations

import json
import threading

from ..errors import LayerReadError, SourceError
from ..layers.blob import IndexedBlob, index_blob
from ..layers.cache import CacheStore
from ..layers.limits import ReadOptions
from ..model import Image, LayerDigests
from .base import LayerDescriptor, Progress, RangeNotSupported
from .manifests import Located, Selection
from .registry_auth import Authenticator, find_credentials
from .registry_blob import BlobStream
from .registry_http import Http, RegistryAccess, status_error
from .registry_manifest import (
    diff_ids,
    fetch_config,
    find_image_manifest,
    layer_descriptors,
)
from .registry_name import RegistryName
from .registry_read import read_registry_images
from .resolve import resolve
from .toc_source import comparable, toc_index


class BlobRanges:
    """Random access to one blob of a registry (a RangeReader)."""

    def __init__(self, source: RegistrySource, descriptor: LayerDescriptor) -> None:
        self._source = source
        self._descriptor = descriptor
        self.size = descriptor.size

    def read_range(self, offset: int, length: int) -> bytes:
        if offset < 0 or length < 0 or offset + length > self.size:
            raise SourceError(f"range {offset}+{length} is outside blob "
                              f"{self._descriptor.digest} of {self.size} bytes")
        if length == 0:
            return b""
        response = self._source.fetch(self._source.blob_path(self._descriptor.digest),
                                      {"Range": f"bytes={offset}-{offset + length - 1}"},
                                      stream=True)
        try:
            if response.status_code == 200:
                raise RangeNotSupported(f"registry {self._source.name.host} ignores Range "
                                        f"requests (blob {self._descriptor.digest})")
            if response.status_code != 206:
                raise status_error(self._source.name.host, response.status_code,
                                   f"blob {self._descriptor.digest}")
            data = response.raw.read(length + 1, decode_content=False)
        finally:
            response.close()
        self._source.http().counter.add(fetched=len(data))
        if len(data) != length:
            raise SourceError(f"registry {self._source.name.host} returned {len(data)} bytes "
                              f"for a range of {length} of blob {self._descriptor.digest}")
        return data


class RegistrySource:
    """An image in a registry (docker://HOST/REPO[:TAG|@DIGEST]).

    One object serves one run: the manifest and config found first are kept for read()."""

    def __init__(self, name: RegistryName, selection: Selection, access: RegistryAccess) -> None:
        self.name = name
        """The normalised reference."""
        self.selection = selection
        """The reference as typed, and the platform to select from an index."""
        self.access = access
        """Credentials and TLS settings."""
        self._http: Http | None = None
        self._auth: Authenticator | None = None
        self._located: Located | None = None
        self._layers: list[LayerDescriptor] = []
        self._tocs: dict = {}  # blob digest -> where a layer indexed from its TOC keeps its files
        self._reading: tuple | None = None  # (cache, options) of read(), for comparable_with

    def describe(self) -> str:
        return self.selection.ref

    # -- HTTP, authenticated ----------------------------------------------------------------

    def http(self) -> Http:
        """The registry's HTTP, probed (and authenticated as its challenge asks) once."""
        if self._http is None:
            http = Http(self.name.host, self.access)
            self._auth = Authenticator(http, self.name.repository,
                                       find_credentials(self.name.host, self.access.creds))
            response = http.probe()
            response.close()
            if response.status_code == 401:
                self._auth.answer(response)
            elif response.status_code == 404:
                raise SourceError(f"{self.name.host} does not serve the Registry API v2 (/v2/ "
                                  "answered 404)")
            self._http = http
        return self._http

    def fetch(self, path: str, headers: dict, stream: bool = True):
        """The successful response to a GET (after one fresh authentication on a 401)."""
        http = self.http()
        response = http.get(path, headers, stream=stream)
        if response.status_code == 401:
            response.close()
            self._auth.answer(response)
            response = http.get(path, headers, stream=stream)
        if response.status_code in (401, 403):
            response.close()
            raise self._auth.refused(response.status_code)
        if response.status_code == 404:
            response.close()
            kind = "manifest" if "/manifests/" in path else "blob"
            raise SourceError(f"registry {self.name.host} has no {kind} "
                              f"{path.rsplit('/', 1)[-1]} in {self.name.repository} (404)",
                              hint="check the repository, tag or digest")
        if response.status_code not in (200, 206):
            response.close()
            raise status_error(self.name.host, response.status_code, path.rsplit("/", 1)[-1])
        return response

    def _count(self, fetched: int) -> None:
        self.http().counter.add(fetched=fetched)

    def blob_path(self, digest: str) -> str:
        """The API path of a blob of this repository."""
        return f"/v2/{self.name.repository}/blobs/{digest}"

    # -- metadata ---------------------------------------------------------------------------

    def _locate(self) -> Located:
        if self._located is None:
            where = str(self.name)
            count = self._count
            manifest = find_image_manifest(self.fetch, count, self.name.repository,
                                           self.name.reference, self.selection.platform, where)
            config, layers = layer_descriptors(manifest, where)
            data = fetch_config(self.fetch, count, self.name.repository, config, where)
            tags = (f"{self.name.host}/{self.name.repository}:{self.name.tag}",) \
                if self.name.tag and not self.name.digest else ()
            self._layers = layers
            self._located = Located(data, [(d.digest, d.media_type, d.size) for d in layers],
                                    tags)
        return self._located

    def identity(self) -> str:
        """The image ID, from the manifest and config (no layer fetched)."""
        image_id = self._locate().image_id
        self.http().counter.report()
        return image_id

    def layer_digests(self) -> LayerDigests:
        located = self._locate()
        self.http().counter.report()
        try:
            history = json.loads(located.config).get("history") or []
        except (ValueError, AttributeError):
            history = []
        return LayerDigests(self.selection.ref, tuple(diff_ids(located.config) or ()),
                            len(history) if isinstance(history, list) else 0)

    def layer_blobs(self) -> list[tuple[LayerDescriptor, BlobRanges]]:
        """Each layer's descriptor and a random-access reader of its blob (RangeSource)."""
        self._locate()
        return [(layer, BlobRanges(self, layer)) for layer in self._layers]

    # -- layers -----------------------------------------------------------------------------

    def index_layer(self, layer: LayerDescriptor, options: ReadOptions,
                    abort: threading.Event | None = None, toc: bool = True) -> IndexedBlob:
        """One layer blob indexed from its table of contents by range requests where it has a
        usable one (sources.toc_source), else streamed into the layer reader, its digest
        checked at the end; stopped early when `abort` is set (another layer failed)."""
        if toc:
            blob = toc_index(layer, BlobRanges(self, layer), options, self._tocs)
            if blob is not None:
                return blob
        stream = BlobStream(lambda headers: self.fetch(self.blob_path(layer.digest), headers),
                            self.http(), layer.digest, layer.size, abort)
        try:
            try:
                blob = index_blob(stream, layer.size, options=options, inflate_ahead=True)
            except LayerReadError:
                if not stream.broken:
                    stream.finish()  # a cut or altered blob is named as such, not as bad gzip
                raise
            stream.finish()
        finally:
            stream.close()
        return blob

    def begin_read(self, cache, options: ReadOptions) -> dict[str, LayerDescriptor]:
        """Find the manifest and config, remember how this run reads (for comparable_with);
        the layers the cache lacks, by blob digest (none when the config's diff IDs do not
        match the manifest: resolve names the mismatch)."""
        self._reading = (cache, options)
        ids = diff_ids(self._locate().config)
        if ids is None or len(ids) != len(self._layers):
            return {}
        return {layer.digest: layer for layer, diff_id in zip(self._layers, ids)
                if cache.get(diff_id) is None}

    def assemble(self, fetched: dict[str, IndexedBlob], cache, options: ReadOptions) -> Image:
        """The image from the layers fetched (by blob digest) and the cache."""
        image = resolve(_FetchedStore(self, fetched, options), self.selection, cache, options,
                        self._locate())
        return comparable(image, self.layer_blobs(), cache, options, self._tocs,
                          lambda layer: self.index_layer(layer, options, toc=False))

    def report_counts(self) -> None:
        """Write what this source fetched so far to the stats file (registry_http.Counter)."""
        if self._http is not None:
            self._http.counter.report()

    def read(self, progress: Progress | None = None, cache: CacheStore | None = None,
             options: ReadOptions | None = None) -> Image:
        return read_registry_images([self], progress, cache, None, options)[0]

    def read_together(self, others: list, progress: Progress | None = None,
                      cache: CacheStore | None = None, labels: list[str] | None = None,
                      options: ReadOptions | None = None) -> list[Image] | None:
        """This image and others of registries in one pass (ReadsTogether): each layer blob
        that any of them names and the cache lacks is fetched once, and the second image's
        layers are fetched alongside the first's."""
        sources = [self, *others]
        if not all(isinstance(source, RegistrySource) for source in sources):
            return None
        return read_registry_images(sources, progress, cache, labels, options)

    def comparable_with(self, image: Image, others: list[Image]) -> Image:
        """The image read() gave, with its TOC digests that meet another kind of hash in the
        other images made the tar reader's (MakesComparable: diff compares them)."""
        cache, options = self._reading
        try:
            return comparable(image, self.layer_blobs(), cache, options, self._tocs,
                              lambda layer: self.index_layer(layer, options, toc=False), others)
        finally:
            self.http().counter.report()


class _FetchedStore:
    """The layers read ahead, by blob digest, as a store for resolve (a layer it lacks, one
    that left the cache since, is fetched then)."""

    def __init__(self, source: RegistrySource, fetched: dict[str, IndexedBlob],
                 options: ReadOptions) -> None:
        self._source = source
        self._fetched = fetched
        self._options = options

    def has(self, name: str) -> bool:
        return True

    def raw(self, name: str) -> bytes:
        raise SourceError(f"{name} is not a document of the registry")  # resolve never asks

    def layer(self, name: str) -> IndexedBlob:
        blob = self._fetched.get(name)
        if blob is None:
            layer = next(d for d in self._source.layer_blobs() if d[0].digest == name)[0]
            blob = self._source.index_layer(layer, self._options)
        return blob
