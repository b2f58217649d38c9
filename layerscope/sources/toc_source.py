"""Layers of a source with random access to its blobs (the registry), indexed from their table
of contents where they have one (zstd:chunked, eStargz: layers.toc_read), and the image made
comparable afterwards: where a version known by its TOC digest meets one known by the tar
reader's hash at a path the analysis compares, the TOC one is hashed the tar way from its
bytes fetched by range (layers.toc). Every choice is said under --debug."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from ..layers.blob import IndexedBlob
from ..layers.limits import ReadOptions
from ..layers.toc import (
    TocContent,
    TocUnusable,
    is_digest_hash,
    tar_hashes,
    tar_hashes_needed,
    with_tar_hashes,
)
from ..layers.toc_read import index_from_toc, toc_cache_key
from ..model import Image
from .base import LayerDescriptor, RangeNotSupported, RangeReader


class TocCache:
    """The run's layer cache as a TOC-reading source uses it: an index holding TOC digests is
    kept under toc_cache_key(diff ID), which only such a source looks at, so a source reading
    tars never mixes one into its images; any other index is kept as usual."""

    def __init__(self, store) -> None:
        self._store = store

    def get(self, diff_id: str) -> IndexedBlob | None:
        """The tar reader's index of the layer if cached, else one made from its TOC."""
        blob = self._store.get(diff_id)
        return blob if blob is not None else self._store.get(toc_cache_key(diff_id))

    def __contains__(self, diff_id: str) -> bool:
        return self.get(diff_id) is not None

    def __setitem__(self, diff_id: str, blob: IndexedBlob) -> None:
        digests = any(is_digest_hash(entry.content_hash) for entry in blob.entries)
        self._store[toc_cache_key(diff_id) if digests else diff_id] = blob

    def __getattr__(self, name: str):
        return getattr(self._store, name)


def toc_index(layer: LayerDescriptor, reader: RangeReader, options: ReadOptions,
              contents: dict[str, TocContent]) -> IndexedBlob | None:
    """The layer indexed from its TOC (where its files lie kept in `contents` by blob digest),
    or None: it has none, or one that cannot stand in for its tar, or the transport serves no
    ranges (said under --debug). Any other failure of the transport is the read's error."""
    try:
        indexed = index_from_toc(layer.media_type, layer.annotations, reader, options)
    except (TocUnusable, RangeNotSupported) as error:
        if options.debug:
            options.debug(f"layer {layer.digest}: read whole, its TOC cannot be used: "
                          f"{error.message}")
        return None
    if indexed is None:
        return None
    contents[layer.digest] = indexed.content
    if options.debug:
        options.debug(f"layer {layer.digest}: indexed from its {_format(indexed.content)} TOC, "
                      f"{indexed.fetched:,} of {layer.size:,} bytes fetched in "
                      f"{indexed.requests} range requests")
    return indexed.blob


def _format(content: TocContent) -> str:
    return "zstd:chunked" if content.codec == "zstd" else "eStargz"


def comparable(image: Image, blobs: Sequence[tuple[LayerDescriptor, RangeReader]], cache,
               options: ReadOptions, contents: dict[str, TocContent],
               whole: Callable[[LayerDescriptor], IndexedBlob], others: Sequence[Image] = ()
               ) -> Image:
    """The image with each TOC digest that the analysis would compare with a tar reader's hash
    (in the image, or in `others`, the images a diff compares it with) replaced by the tar
    reader's hash of the same bytes, fetched by range (a layer whose TOC fails now is read
    `whole`); the layers changed are cached again as changed."""
    files = [layer.files for layer in image.layers]
    if not any(is_digest_hash(entry.content_hash) for layer in files for entry in layer):
        return image  # no layer from a TOC: the path index below would be built for nothing
    needed = tar_hashes_needed(files + [layer.files for other in others for layer in other.layers])
    if not any(position < len(files) for position in needed):
        return image
    layers = list(image.layers)
    for position, indexes in needed.items():
        if position >= len(files):
            continue  # another image's layer: its own source makes it comparable
        descriptor, reader = blobs[position]
        layer = layers[position]
        blob = IndexedBlob(layer.files, layer.size, descriptor.size, _codec(descriptor), dict(layer.captured))
        try:
            content = contents.get(descriptor.digest) or _content_again(descriptor, reader, options, blob)
            blob = with_tar_hashes(blob, indexes, tar_hashes(
                reader, content, indexes, [layer.files[i].size for i in indexes]))
        except (TocUnusable, RangeNotSupported) as error:
            if options.debug:
                options.debug(f"layer {descriptor.digest}: read whole, its files cannot be "
                              f"fetched by range: {error.message}")
            blob = whole(descriptor)
        if options.debug:
            options.debug(f"layer {descriptor.digest}: {len(indexes)} files hashed from their "
                          "bytes, to compare with versions read from a tar")
        cache[layer.diff_id] = blob
        layers[position] = replace(layer, files=blob.entries, size=blob.size, captured=blob.captured)
    return replace(image, layers=tuple(layers))


def _codec(descriptor: LayerDescriptor) -> str:
    return "zstd" if descriptor.media_type.endswith("zstd") else "gzip"


def _content_again(descriptor: LayerDescriptor, reader: RangeReader, options: ReadOptions,
                   cached: IndexedBlob) -> TocContent:
    """Where the files of a layer whose index came from the cache lie: its TOC read again,
    which must index the layer as the cached index does."""
    indexed = index_from_toc(descriptor.media_type, descriptor.annotations, reader, options)
    if indexed is None:
        raise TocUnusable("it was indexed from a TOC it no longer has")
    if [e.path for e in indexed.blob.entries] != [e.path for e in cached.entries]:
        raise TocUnusable("its TOC no longer indexes it as the cache does")
    return indexed.content
