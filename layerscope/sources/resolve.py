"""Build an Image from the metadata files of a docker-save archive or an OCI layout.

Both `docker save` layouts (legacy ``manifest.json`` + ``<id>/layer.tar``, and the OCI-based one of
Docker >= 25) and OCI image layouts are resolved here, whatever transport delivered the bytes.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from dataclasses import dataclass, replace
from typing import Any, NamedTuple, Protocol, runtime_checkable

from ..errors import LayerReadError, SourceError
from ..layers.blob import IndexedBlob
from ..layers.cache import CacheStore
from ..layers.decompress import media_type_codec
from ..layers.limits import current as current_limits
from ..model import EntryKind, HistoryEntry, Image, Layer
from . import platforms

INDEX_TYPES = {"application/vnd.oci.image.index.v1+json",
               "application/vnd.docker.distribution.manifest.list.v2+json"}
MANIFEST_TYPES = {"application/vnd.oci.image.manifest.v1+json",
                  "application/vnd.docker.distribution.manifest.v2+json"}
LAYER_TYPES = {
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",
    "application/vnd.oci.image.layer.nondistributable.v1.tar",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
    "application/vnd.docker.image.rootfs.diff.tar",
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
    "application/vnd.docker.image.rootfs.diff.tar.zstd",
}
METADATA_LIMIT = 16 << 20
"""Largest manifest, index or config accepted: real ones are a few KiB."""
DIGEST = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+")
HASHES = {"sha256": hashlib.sha256, "sha512": hashlib.sha512}
REF_NAME = "org.opencontainers.image.ref.name"
CONTAINERD_NAME = "io.containerd.image.name"


class BlobStore(Protocol):
    """Named files of an archive or layout: small JSON documents and layer blobs."""

    def has(self, name: str) -> bool:
        """True when the store holds a file of that name."""
        ...

    def raw(self, name: str) -> bytes:
        """The bytes of a small metadata file."""
        ...

    def layer(self, name: str) -> IndexedBlob:
        """The indexed layer blob of that name."""
        ...


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


@dataclass(frozen=True, slots=True)
class Selection:
    """What the user asked for within an archive: a tag and a platform."""

    ref: str
    """The reference as given, for messages and the report."""
    tag: str | None = None
    """Image name or ref.name to select when the archive holds several."""
    platform: str | None = None
    """os/arch[/variant]; None means the host's platform when there is a choice."""
    oci_index: bool = False
    """Select through index.json even when a docker-save manifest.json is present."""
    image_id: str | None = None
    """Config digest to select in a docker-save archive holding several images."""


class MetadataTooLarge(SourceError):
    """A store's metadata document is larger than METADATA_LIMIT."""

    def __init__(self, name: str, size: int) -> None:
        super().__init__(f"{name} is {size} bytes, more than the {METADATA_LIMIT >> 20} MiB "
                         "allowed for metadata")
        self.name = name
        self.size = size


def _malformed(where: str, problem: str) -> SourceError:
    return SourceError(f"{where} is malformed: {problem}",
                       hint="the archive was not written by docker, podman, skopeo or buildah, "
                            "or it was damaged")


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(value), "a number")


def _expect(value: Any, kind: type, where: str, what: str) -> Any:
    """`value` when it has the JSON type `kind`; a malformed-document error otherwise."""
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        article = {dict: "an object", list: "a list", str: "a string", int: "a number"}[kind]
        raise _malformed(where, f"{what} is {_kind(value)}, not {article}")
    return value


def parse_json(data: bytes, what: str) -> Any:
    """A JSON document (UTF-8, bounded nesting) or a SourceError saying what was wrong."""
    try:
        return json.loads(data.decode("utf-8"))
    except RecursionError:
        raise SourceError(f"{what} is nested too deeply to be real metadata") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise SourceError(f"{what} is not valid JSON: {error}") from error


def _raw(store: BlobStore, name: str, what: str, digest: str | None = None) -> bytes:
    """A metadata document's bytes: present, not too large, and matching `digest` if given."""
    if not store.has(name):
        raise SourceError(f"{what} {name} is missing from the archive")
    try:
        data = store.raw(name)
    except MetadataTooLarge as error:
        raise SourceError(f"{what} {error.message}",
                          hint="no real image has metadata this large") from error
    if len(data) > METADATA_LIMIT:
        raise SourceError(f"{what} {MetadataTooLarge(name, len(data)).message}",
                          hint="no real image has metadata this large")
    if digest is not None:
        algorithm, _, expected = digest.partition(":")
        actual = HASHES[algorithm](data).hexdigest()
        if actual != expected:
            raise SourceError(f"{what} {name} does not match its digest: its content is "
                              f"{algorithm}:{actual}, the descriptor says {digest}",
                              hint="the layout was damaged or tampered with")
    return data


def _json(store: BlobStore, name: str, what: str, digest: str | None = None) -> Any:
    return parse_json(_raw(store, name, what, digest), f"{what} {name}")


def blob_name(digest: Any) -> str:
    """Where an OCI layout keeps the blob of a digest (a well-formed one of a known algorithm)."""
    if not isinstance(digest, str) or not DIGEST.fullmatch(digest):
        raise SourceError(f"malformed digest {str(digest)[:100]!r}")
    algorithm, _, encoded = digest.partition(":")
    if algorithm not in HASHES:
        raise SourceError(f"unsupported digest algorithm {algorithm!r} in {digest[:100]!r}")
    return f"blobs/{algorithm}/{encoded}"


def resolve(store: BlobStore, selection: Selection, cache: CacheStore | None = None) -> Image:
    """Find the selected image's config and layers in the store and assemble the Image.

    Layers whose diff ID is already in `cache` are not read again; new ones are added to it.
    """
    config_bytes, layers, tags = locate_config(store, selection)
    return _assemble(store, selection, config_bytes, layers, tags,
                     CacheStore(persistent=False) if cache is None else cache)


def config_identity(store: BlobStore, selection: Selection) -> str:
    """The selected image's ID (its config digest), reading no layer."""
    config_bytes, _, _ = locate_config(store, selection)
    return "sha256:" + hashlib.sha256(config_bytes).hexdigest()


def locate_config(store: BlobStore, selection: Selection):
    """(config bytes, layer descriptors, tags) of the selected image, reading no layer."""
    config_digest = None
    if store.has("manifest.json") and not selection.oci_index:
        config_name, layers, tags = _from_docker_manifest(store, selection)
    elif store.has("index.json"):
        config_name, layers, tags, config_digest = _from_oci_index(store, selection)
    else:
        raise SourceError(
            f"{selection.ref} is not an image archive: it has neither manifest.json nor index.json",
            hint="make one with `docker save IMAGE -o FILE.tar`",
        )
    config_bytes = _raw(store, config_name, "image config", config_digest)
    return config_bytes, layers, tags


def image_from_cache(selection: Selection, config_bytes: bytes, tags: tuple[str, ...],
                     cache: CacheStore) -> Image | None:
    """The image built from a cached config and cached layers only, or None if one is missing."""
    try:
        config = json.loads(config_bytes)
        diff_ids = [str(d) for d in config["rootfs"]["diff_ids"]]
    except (ValueError, KeyError, TypeError, RecursionError):
        return None
    if not all(diff_id in cache for diff_id in diff_ids):
        return None
    layers = [(diff_id, None, None) for diff_id in diff_ids]
    try:
        return _assemble(None, selection, config_bytes, layers, tags, cache)
    except (LayerReadError, SourceError):
        return None  # an entry vanished or was damaged between the check and the read


def _from_docker_manifest(store: BlobStore, selection: Selection):
    manifest = _json(store, "manifest.json", "manifest")
    if not isinstance(manifest, list) or not manifest:
        raise SourceError("manifest.json lists no images")
    for entry in manifest:
        _expect(entry, dict, "manifest.json", "an entry")
        _expect(entry.get("Config"), str, "manifest.json", "Config")
        for name in _expect(entry.get("Layers"), list, "manifest.json", "Layers"):
            _expect(name, str, "manifest.json", "a Layers item")
        for tag in _expect(entry.get("RepoTags") or [], list, "manifest.json", "RepoTags"):
            _expect(tag, str, "manifest.json", "a RepoTags item")
    chosen = manifest[0]
    wanted = selection.tag
    if selection.image_id:
        hex_id = selection.image_id.removeprefix("sha256:")
        found = [m for m in manifest if hex_id in m["Config"]]
        if len(found) != 1:
            raise SourceError(f"the archive does not hold image {selection.image_id}")
        chosen = found[0]
    elif len(manifest) > 1 or wanted:
        found = [m for m in manifest if wanted and wanted in (m.get("RepoTags") or [])]
        if len(found) != 1:
            tags = ", ".join(t for m in manifest for t in (m.get("RepoTags") or ["<untagged>"]))
            raise SourceError(f"the archive holds {len(manifest)} image(s) ({tags}); "
                              f"{'none' if not found else 'several'} match {wanted or 'no tag'}",
                              hint="name one: docker-archive:PATH:NAME:TAG")
        chosen = found[0]
    layers = [(name, None, None) for name in chosen["Layers"]]
    return chosen["Config"], layers, tuple(chosen.get("RepoTags") or ())


def _descriptors(value: Any, where: str) -> list[dict]:
    """The `manifests` of an index: a list of descriptors, each with a digest."""
    for descriptor in _expect(value, list, where, "manifests"):
        _check_descriptor(descriptor, where, "a manifests item")
    return value


def _check_descriptor(descriptor: Any, where: str, what: str) -> dict:
    _expect(descriptor, dict, where, what)
    _expect(descriptor.get("digest"), str, where, f"the digest of {what}")
    for key, kind in (("mediaType", str), ("platform", dict), ("annotations", dict),
                      ("size", int)):
        if descriptor.get(key) is not None:
            _expect(descriptor[key], kind, where, f"the {key} of {what}")
    if descriptor.get("size") is not None and descriptor["size"] < 0:
        raise _malformed(where, f"{what} has a negative size")
    return descriptor


def _from_oci_index(store: BlobStore, selection: Selection):
    index = _expect(_json(store, "index.json", "index"), dict, "index.json", "the document")
    descriptors = _descriptors(index.get("manifests") or [], "index.json")
    if not descriptors:
        raise SourceError("index.json lists no manifests")
    tags: tuple[str, ...] = ()
    if selection.tag is not None:
        named = [d for d in descriptors if selection.tag in _names(d)]
        if not named:
            available = ", ".join(sorted({n for d in descriptors for n in _names(d)})) or "none"
            raise SourceError(f"no image tagged {selection.tag!r} in the layout; tags: {available}")
        descriptors = named
        tags = (selection.tag,)
    elif len(descriptors) > 1 and all(d.get("mediaType") in INDEX_TYPES for d in descriptors):
        names = ", ".join(sorted({n for d in descriptors for n in _names(d)}))
        raise SourceError(f"the layout holds several images ({names})", hint="append :TAG")
    descriptor = platforms.choose(descriptors, selection.platform, selection.ref)
    for _ in range(8):  # nested indexes are legal; a cycle or absurd depth is not
        media_type = descriptor.get("mediaType")
        name = blob_name(descriptor["digest"])
        if media_type in INDEX_TYPES:
            nested = _expect(_json(store, name, "index", descriptor["digest"]), dict, name,
                             "the document")
            descriptor = platforms.choose(_descriptors(nested.get("manifests") or [], name),
                                          selection.platform, selection.ref)
            continue
        if media_type not in MANIFEST_TYPES:
            raise SourceError(f"unsupported manifest media type {media_type!r}")
        manifest = _expect(_json(store, name, "manifest", descriptor["digest"]), dict, name,
                           "the document")
        layers = []
        for layer in _expect(manifest.get("layers") or [], list, name, "layers"):
            _check_descriptor(layer, name, "a layer")
            if layer.get("mediaType") not in LAYER_TYPES:
                raise SourceError(f"unsupported layer media type {layer.get('mediaType')!r}")
            layers.append((blob_name(layer["digest"]), layer.get("mediaType"), layer.get("size")))
        config = _check_descriptor(manifest.get("config"), name, "the config")
        return (blob_name(config["digest"]), layers, tags or tuple(_names(descriptor)),
                config["digest"])
    raise SourceError("index nesting is deeper than 8 levels")


def _names(descriptor: dict) -> list[str]:
    annotations = descriptor.get("annotations") or {}
    return [n for n in (annotations.get(REF_NAME), annotations.get(CONTAINERD_NAME))
            if n and isinstance(n, str)]


def _history(config: dict) -> tuple[HistoryEntry, ...]:
    entries = []
    for item in _expect(config.get("history") or [], list, "image config", "history"):
        if isinstance(item, dict):
            entries.append(HistoryEntry(
                created_by=str(item.get("created_by") or ""),
                empty_layer=bool(item.get("empty_layer", False)),
                created=item.get("created"),
                comment=str(item.get("comment") or ""),
            ))
    return tuple(entries)


def _assemble(store, selection, config_bytes, layers, tags, cache: CacheStore) -> Image:
    config = parse_json(config_bytes, "image config")
    if not isinstance(config, dict):
        raise SourceError("image config is not a JSON object")
    rootfs = _expect(config.get("rootfs") or {}, dict, "image config", "rootfs")
    diff_ids = _expect(rootfs.get("diff_ids") or [], list, "image config", "rootfs.diff_ids")
    for diff_id in diff_ids:
        _expect(diff_id, str, "image config", "a diff_id")
    history = _history(config)
    verify = current_limits().verify
    if len(diff_ids) != len(layers):
        raise SourceError(
            f"image config lists {len(diff_ids)} layers (diff_ids) but the manifest has {len(layers)}"
        )
    # an index that will not outlive this run needs hashes only where this image compares them
    skipping = not (cache.complete or verify) and isinstance(store, SkippingStore)
    read = []
    image_id = "sha256:" + hashlib.sha256(config_bytes).hexdigest()
    for position, ((name, media_type, stored_size), diff_id) in enumerate(zip(layers, diff_ids)):
        promised = media_type_codec(media_type)
        blob = cache.get(str(diff_id))
        compressed = stored_size if promised in ("gzip", "zstd") else None
        fresh = blob is None
        if blob is None:
            if store is None:
                raise LayerReadError(f"layer {position} ({diff_id}) is not cached")
            try:
                blob = store.layer_skipping(name) if skipping else store.layer(name)
            except LayerReadError as error:
                raise LayerReadError(f"layer {position} ({name}): {error.message}",
                                     error.hint) from error
            if verify and blob.digest != diff_id:
                raise LayerReadError(
                    f"layer {position} ({diff_id}): its content digest is {blob.digest}, the "
                    f"config's diff_id is {diff_id}",
                    hint="the image was damaged or tampered with; do not trust its contents")
            if promised is not None and promised != blob.codec:
                raise LayerReadError(
                    f"layer {position} ({name}): media type {media_type} promises {promised}, "
                    f"the data is {blob.codec}"
                )
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
    cache.store_config(image_id, config_bytes)
    return Image(
        ref=selection.ref,
        image_id=image_id,
        repo_tags=tags,
        architecture=str(config.get("architecture") or ""),
        os=str(config.get("os") or ""),
        history=history,
        layers=tuple(built),
    )


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
    """Hash the skipped files at paths another regular file of the image is also written at:
    telling a metadata-only rewrite from new content is the only use this image has for a
    hash. The other skipped files keep content_hash None (and stay listed in deferred)."""
    skipped = {layer.blob.entries[index].path for layer in read
               for index, _, _ in layer.blob.deferred}
    if not skipped:
        return read
    written: dict[str, int] = {}
    for layer in read:
        for entry in layer.blob.entries:
            if entry.path in skipped and entry.kind == EntryKind.FILE:
                written[entry.path] = written.get(entry.path, 0) + 1
    rewritten = {path for path, count in written.items() if count > 1}
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


def normalize_member_name(name: str) -> str:
    """Archive member names as manifests refer to them ("./a/b" and "a/b" are one file)."""
    return posixpath.normpath(name.lstrip("/")).removeprefix("./")


def follow_links(links: dict[str, str], name: str) -> str:
    """Resolve symlink members (docker save links a repeated layer.tar to its first copy)."""
    name = normalize_member_name(name)
    for _ in range(16):
        if name not in links:
            return name
        name = links[name]
    raise SourceError(f"archive member {name} is part of a symlink loop")
