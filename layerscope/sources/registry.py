"""docker:// transport: an image read where it lives, over the Registry HTTP API v2 (OCI
distribution), without a daemon.

The manifest and config come first; layers whose diff ID the cache holds are never fetched;
the others stream straight into the layer reader (decompressed on the fly, never written to
disk), a few at once, each checked against its digest as it streams: an index from a blob that
fails it is never kept."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

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
from .resolve import resolve
from .toc_source import TocCache, comparable, toc_index

PARALLEL = 3
"""Layers fetched at once: enough to keep a link busy while one is being indexed."""


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
                blob = index_blob(stream, layer.size, options=options)
            except LayerReadError:
                if not stream.broken:
                    stream.finish()  # a cut or altered blob is named as such, not as bad gzip
                raise
            stream.finish()
        finally:
            stream.close()
        return blob

    def _prefetch(self, located: Located, cache: CacheStore, options: ReadOptions,
                  progress: Progress | None) -> dict[str, IndexedBlob]:
        """Every layer the cache lacks, indexed, PARALLEL at a time; by blob digest."""
        ids = diff_ids(located.config)
        if ids is None or len(ids) != len(self._layers):
            return {}  # resolve names the mismatch
        wanted = {layer.digest: layer for layer, diff_id in zip(self._layers, ids)
                  if cache.get(diff_id) is None}
        if not wanted:
            return {}
        done: dict[str, IndexedBlob] = {}
        abort = threading.Event()
        with ThreadPoolExecutor(min(PARALLEL, len(wanted))) as workers:
            futures = {digest: workers.submit(self.index_layer, layer, options, abort)
                       for digest, layer in wanted.items()}
            try:
                for count, (digest, future) in enumerate(futures.items(), 1):
                    done[digest] = future.result()
                    if progress:
                        progress(f"fetched layer {count}/{len(futures)}: {digest[:19]}")
            except BaseException:
                abort.set()  # the others stop at their next read instead of downloading on
                for future in futures.values():
                    future.cancel()
                raise
        return done

    def read(self, progress: Progress | None = None, cache: CacheStore | None = None,
             options: ReadOptions | None = None) -> Image:
        options = ReadOptions() if options is None else options
        cache = TocCache(CacheStore(persistent=False) if cache is None else cache)
        self._reading = (cache, options)
        located = self._locate()
        fetched = self._prefetch(located, cache, options, progress)
        try:
            image = resolve(_FetchedStore(self, fetched, options), self.selection, cache,
                            options, located)
            return comparable(image, self.layer_blobs(), cache, options, self._tocs,
                              lambda layer: self.index_layer(layer, options, toc=False))
        finally:
            self.http().counter.report()

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
