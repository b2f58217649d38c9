"""Build an Image from the metadata files of a docker-save archive or an OCI layout.

Both `docker save` layouts (legacy ``manifest.json`` + ``<id>/layer.tar``, and the OCI-based one of
Docker >= 25) and OCI image layouts are resolved here, whatever transport delivered the bytes:
manifests.py finds the selected image, this module reads its layers (from the cache where it can)
and assembles the Image.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import NamedTuple, Protocol, runtime_checkable

from ..errors import LayerReadError, SourceError
from ..layers.blob import IndexedBlob
from ..layers.cache import CacheStore
from ..layers.decompress import media_type_codec
from ..layers.limits import ReadOptions
from ..model import EntryKind, HistoryEntry, Image, Layer
from .documents import BlobStore, expect, parse_json
from .manifests import Located, Selection, locate_config


@runtime_checkable
class SkippingStore(Protocol):
    """A store that can index a layer without reading its large files, and hash chosen
    regions of a layer afterwards (an uncompressed archive file can seek)."""

    def layer_skipping(self, name: str) -> IndexedBlob:
        """The layer indexed with its large files skipped unread (IndexedBlob.deferred)."""
        ...

    def content_hashes(self, name: str, regions: list[tuple[int, int]]) -> list[int]:
        """xxh3-64 of each (offset in the layer, size) region."""
        ...


def resolve(store: BlobStore, selection: Selection, cache: CacheStore | None = None,
            options: ReadOptions | None = None, located: Located | None = None) -> Image:
    """Find the selected image's config and layers in the store and assemble the Image.

    Layers whose diff ID is already in `cache` are not read again; new ones are added to it.
    `located` is what an earlier locate_config on this store found (it is not looked for again).
    """
    return _assemble(store, selection, located or locate_config(store, selection),
                     CacheStore(persistent=False) if cache is None else cache,
                     ReadOptions() if options is None else options)


def image_from_cache(selection: Selection, located: Located, cache: CacheStore) -> Image | None:
    """The image built from a cached config and cached layers only, or None if one is missing."""
    try:
        config = json.loads(located.config)
        diff_ids = [str(d) for d in config["rootfs"]["diff_ids"]]
    except (ValueError, KeyError, TypeError, RecursionError):
        return None
    if not all(diff_id in cache for diff_id in diff_ids):
        return None
    located = replace(located, layers=[(diff_id, None, None) for diff_id in diff_ids])
    try:
        return _assemble(None, selection, located, cache, ReadOptions())
    except (LayerReadError, SourceError):
        return None  # an entry vanished or was damaged between the check and the read


def _history(config: dict) -> tuple[HistoryEntry, ...]:
    entries = []
    for item in expect(config.get("history") or [], list, "image config", "history"):
        if isinstance(item, dict):
            entries.append(HistoryEntry(
                created_by=str(item.get("created_by") or ""),
                empty_layer=bool(item.get("empty_layer", False)),
                created=item.get("created"),
                comment=str(item.get("comment") or ""),
            ))
    return tuple(entries)


def _assemble(store, selection: Selection, located: Located, cache: CacheStore,
              options: ReadOptions) -> Image:
    config = parse_json(located.config, "image config")
    if not isinstance(config, dict):
        raise SourceError("image config is not a JSON object")
    rootfs = expect(config.get("rootfs") or {}, dict, "image config", "rootfs")
    diff_ids = expect(rootfs.get("diff_ids") or [], list, "image config", "rootfs.diff_ids")
    for diff_id in diff_ids:
        expect(diff_id, str, "image config", "a diff_id")
    history = _history(config)
    verify = options.verify
    layers = located.layers
    if len(diff_ids) != len(layers):
        raise SourceError(
            f"image config lists {len(diff_ids)} layers (diff_ids) but the manifest has {len(layers)}"
        )
    # an index that will not outlive this run needs hashes only where this image compares them
    skipping = not (options.hash_every_file or verify) and isinstance(store, SkippingStore)
    read = []
    image_id = located.image_id
    for position, ((name, media_type, stored_size), diff_id) in enumerate(zip(layers, diff_ids)):
        blob = cache.get(str(diff_id))
        compressed = stored_size if media_type_codec(media_type) in ("gzip", "zstd") else None
        fresh = blob is None
        if blob is None:
            if store is None:
                raise LayerReadError(f"layer {position} ({diff_id}) is not cached")
            blob = _read_layer(store, position, name, media_type, str(diff_id),
                               skipping=skipping, verify=verify)
            if compressed is None and blob.codec != "tar":
                compressed = blob.stored_size
        read.append(_ReadLayer(name, str(diff_id), blob, fresh, media_type, compressed))
    if skipping:
        read = _hash_rewritten_paths(store, read)
    built = []
    for position, layer in enumerate(read):
        if layer.fresh:
            cache[layer.diff_id] = layer.blob
        built.append(Layer(
            index=position,
            diff_id=layer.diff_id,
            files=layer.blob.entries,
            size=layer.blob.size,
            media_type=layer.media_type,
            compressed_size=layer.compressed_size,
            captured=layer.blob.captured,
        ))
    cache.store_config(image_id, located.config)
    return Image(
        ref=selection.ref,
        image_id=image_id,
        repo_tags=located.tags,
        architecture=str(config.get("architecture") or ""),
        os=str(config.get("os") or ""),
        history=history,
        layers=tuple(built),
    )


def _read_layer(store: BlobStore, position: int, name: str, media_type: str | None, diff_id: str,
                *, skipping: bool, verify: bool) -> IndexedBlob:
    """One layer indexed from the store, checked against its diff ID (with --verify) and
    against the codec its media type promises."""
    try:
        blob = store.layer_skipping(name) if skipping else store.layer(name)
    except LayerReadError as error:
        raise LayerReadError(f"layer {position} ({name}): {error.message}", error.hint) from error
    if verify and blob.digest != diff_id:
        raise LayerReadError(
            f"layer {position} ({diff_id}): its content digest is {blob.digest}, the "
            f"config's diff_id is {diff_id}",
            hint="the image was damaged or tampered with; do not trust its contents")
    promised = media_type_codec(media_type)
    if promised is not None and promised != blob.codec:
        raise LayerReadError(
            f"layer {position} ({name}): media type {media_type} promises {promised}, "
            f"the data is {blob.codec}"
        )
    return blob


class _ReadLayer(NamedTuple):
    """One layer as _assemble found it, before the Layer is built."""

    name: str
    """Its name in the store."""
    diff_id: str
    """Its diff ID from the config."""
    blob: IndexedBlob
    """Its index."""
    fresh: bool
    """True when read now, False when it came from the cache."""
    media_type: str | None
    """The manifest's media type for it."""
    compressed_size: int | None
    """Bytes a pull downloads, for a compressed blob."""


def _hash_rewritten_paths(store: SkippingStore, read: list[_ReadLayer]) -> list[_ReadLayer]:
    """Hash the skipped files the merge compares: telling a metadata-only rewrite from new
    content is the only use this image has for a hash. Those are the files at a path another
    regular file of the image is also written at, and, where a hard link takes the path of a
    skipped file, that file and the link's target (the same bytes again are metadata-only, other
    bytes replaced-by-link: two missing hashes must never pass for the same bytes). The other
    skipped files keep content_hash None (and stay listed in deferred)."""
    skipped = {layer.blob.entries[index].path for layer in read
               for index, _, _ in layer.blob.deferred}
    if not skipped:
        return read
    written: dict[str, int] = {}
    linked: set[str] = set()
    for layer in read:
        for entry in layer.blob.entries:
            if entry.path not in skipped:
                continue
            if entry.kind == EntryKind.FILE:
                written[entry.path] = written.get(entry.path, 0) + 1
            elif entry.kind == EntryKind.HARDLINK:
                linked.update((entry.path, entry.link_target))
    rewritten = {path for path, count in written.items() if count > 1} | linked
    completed = []
    for layer in read:
        blob = layer.blob
        wanted = [item for item in blob.deferred if blob.entries[item[0]].path in rewritten]
        if wanted:
            hashes = store.content_hashes(layer.name, [(offset, size) for _, offset, size in wanted])
            entries = list(blob.entries)
            for (index, _, _), content_hash in zip(wanted, hashes):
                entries[index] = entries[index]._replace(content_hash=content_hash)
            hashed = set(wanted)
            layer = layer._replace(blob=replace(
                blob, entries=tuple(entries),
                deferred=tuple(item for item in blob.deferred if item not in hashed)))
        completed.append(layer)
    return completed
