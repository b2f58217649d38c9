"""An engine image read from the engine's own overlay2 layer store instead of its export.

`docker save` makes the engine rebuild every layer's tar from its files and send it over the
socket; on the engine's own host, as root, the same files can be indexed where they lie
(layers.directory_index), at the speed of the disk. Layer order and diff IDs still come from
the engine's API (RootFS.Layers of the inspect); the store's layerdb maps each layer's chain ID
to its overlay2 directory, and every name is checked against the content-addressed IDs
(the config's sha256 is the image ID, each layerdb entry names its diff ID), so a path that
exists but belongs to another store is never taken for this one.

Whatever stops it (another storage driver or the containerd image store, a remote engine, a
store that is not root's, as rootless and userns-remap engines keep, not running as root,
--verify, which needs the tars' digests) is a StoreUnreadable naming the reason; the engine
source then reads the export.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import zlib
from dataclasses import dataclass, replace

from ..errors import SourceError
from ..layers.blob import IndexedBlob
from ..layers.cache import CacheStore
from ..layers.directory_index import hash_files
from ..layers.directory_walks import index_directories
from ..layers.limits import ReadOptions
from ..layers.tarheader import BLOCK, number
from ..model import EntryKind, FileEntry, Image
from .manifests import Located, Selection
from .resolve import resolve

LAYERDB = ("image", "overlay2", "layerdb", "sha256")
IMAGEDB = ("image", "overlay2", "imagedb", "content", "sha256")
TAR_SPLIT_HEAD = 64 << 10
"""Compressed bytes of a layer's tar-split read to find its first tar header."""


class StoreUnreadable(SourceError):
    """The engine's layer store cannot serve this image; the message says why."""


@dataclass(frozen=True, slots=True)
class StoreImage:
    """An engine image found in its overlay2 store, before any layer is read."""

    config: bytes
    """The image config as the store holds it (its sha256 is the image ID)."""
    directories: tuple[str, ...]
    """Each layer's diff directory, bottom first."""
    type_bits: tuple[bool, ...]
    """Per layer, whether its tar's modes carry the file-type bits (Docker's own writer adds
    them; GNU tar, BuildKit and others write only the permission bits)."""


def chain_ids(diff_ids: list[str]) -> list[str]:
    """The OCI chain ID of each layer: the first is its diff ID, each next one the sha256 of
    "<chain ID below> <diff ID>"."""
    chains: list[str] = []
    for diff_id in diff_ids:
        chains.append(diff_id if not chains else "sha256:" + hashlib.sha256(
            f"{chains[-1]} {diff_id}".encode()).hexdigest())
    return chains


def locate(record: dict, options: ReadOptions) -> StoreImage:
    """The image's config and layer directories in the store its inspect record names."""
    if options.verify:
        raise StoreUnreadable("--verify checks each layer tar's sha256, which only the export has")
    host = os.environ.get("DOCKER_HOST") or ""
    if host and not host.startswith("unix://"):
        raise StoreUnreadable(f"DOCKER_HOST is {host}: the engine's store is on another machine")
    driver = record.get("GraphDriver") or {}
    upper = (driver.get("Data") or {}).get("UpperDir") or ""
    if driver.get("Name") != "overlay2" or not upper:
        raise StoreUnreadable(f"the engine stores images with {driver.get('Name') or 'no'} "
                              "graph driver, not overlay2 (another driver, or the containerd "
                              "image store)")
    overlay = os.path.dirname(os.path.dirname(upper))
    root = os.path.dirname(overlay)
    try:
        owner = os.stat(root).st_uid
        config = _read(os.path.join(root, *IMAGEDB, record["Id"].removeprefix("sha256:")))
    except OSError as error:
        raise StoreUnreadable(f"the engine's store at {root} cannot be read from here "
                              f"({error.strerror}): not this machine's, or not root") from error
    if owner != 0:
        raise StoreUnreadable(f"the engine's store at {root} is not root's (a rootless or "
                              "userns-remap engine, whose files are stored under other IDs)")
    if "sha256:" + hashlib.sha256(config).hexdigest() != record["Id"]:
        raise StoreUnreadable(f"the store at {root} holds another config for {record['Id']}")
    diff_ids = list((record.get("RootFS") or {}).get("Layers") or ())
    directories, type_bits = [], []
    for diff_id, chain in zip(diff_ids, chain_ids(diff_ids)):
        entry = os.path.join(root, *LAYERDB, chain.removeprefix("sha256:"))
        try:
            named = _read(os.path.join(entry, "diff")).decode().strip()
            cache_id = _read(os.path.join(entry, "cache-id")).decode().strip()
            bits = _writes_type_bits(os.path.join(entry, "tar-split.json.gz"))
        except (OSError, ValueError, zlib.error) as error:
            raise StoreUnreadable(f"layer {diff_id} has no readable layerdb entry at {entry}: "
                                  f"{error}") from error
        if named != diff_id or not cache_id or "/" in cache_id or cache_id.startswith("."):
            raise StoreUnreadable(f"the layerdb entry {entry} does not name layer {diff_id}")
        directories.append(os.path.join(overlay, cache_id, "diff"))
        type_bits.append(bits)
    return StoreImage(config, tuple(directories), tuple(type_bits))


def _read(path: str) -> bytes:
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    with os.fdopen(descriptor, "rb") as handle:
        return handle.read(64 << 20)


def _writes_type_bits(tar_split: str) -> bool:
    """Whether the layer's tar was written with file-type bits in its modes, from the first
    header its tar-split keeps (the raw bytes of the tar that are not file contents)."""
    descriptor = os.open(tar_split, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    with os.fdopen(descriptor, "rb") as handle:
        head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(handle.read(TAR_SPLIT_HEAD))
    line = head.split(b"\n", 1)[0]
    if not line:
        raise ValueError("the tar-split is empty")
    segment = json.loads(line)
    raw = base64.b64decode(segment.get("payload") or "") if segment.get("type") == 2 else b""
    header = raw[-BLOCK:]  # the first member's own header ends the first segment
    if len(header) < BLOCK or not any(header):
        return True  # a layer without members: nothing to tell
    return number(header[100:108], "mode", 0) > 0o7777


class _IndexedLayers:
    """The layers indexed from the store, handed to resolve as a store of named blobs."""

    def __init__(self, blobs: dict[str, IndexedBlob]) -> None:
        self.blobs = blobs

    def has(self, name: str) -> bool:
        return name in self.blobs

    def raw(self, name: str) -> bytes:
        raise SourceError(f"{name} is not a document of the engine's store")

    def layer(self, name: str) -> IndexedBlob:
        return self.blobs[name]


def read_from_store(selection: Selection, record: dict, cache: CacheStore | None,
                    options: ReadOptions) -> Image:
    """The image indexed from the engine's store: the layers not in `cache` are read from their
    directories, with every file hashed when `options` ask it, else only the contents the
    analysis compares (see _hash_compared). StoreUnreadable when the store cannot serve it; a
    LayerReadError when a layer vanished or changed while it was read."""
    found = locate(record, options)
    diff_ids = list((record.get("RootFS") or {}).get("Layers") or ())
    cache = CacheStore(persistent=False) if cache is None else cache
    unread: dict[str, tuple[str, bool]] = {}
    for diff_id, directory, bits in zip(diff_ids, found.directories, found.type_bits):
        if diff_id not in unread and cache.get(diff_id) is None:
            unread[diff_id] = (directory, bits)
    indexes = index_directories(list(unread.values()), capture=options.capture,
                                hash_all=options.hash_every_file)
    blobs: dict[str, IndexedBlob] = dict(zip(unread, indexes))
    if not options.hash_every_file:
        blobs = _hash_compared(diff_ids, dict(zip(diff_ids, found.directories)), blobs, cache)
    located = Located(found.config, [(diff_id, None, None) for diff_id in diff_ids],
                      tuple(record.get("RepoTags") or ()))
    image = resolve(_IndexedLayers(blobs), replace(selection, image_id=record["Id"]), cache,
                    options, located)
    return replace(image, repo_tags=located.tags or image.repo_tags)


def _hash_compared(diff_ids: list[str], directories: dict[str, str],
                   blobs: dict[str, IndexedBlob], cache: CacheStore) -> dict[str, IndexedBlob]:
    """Hash the unread files whose content the merge compares (analysis.merge.classify): the
    regular files at a path another layer also writes a file of the same size at, and the file
    a hard link points to where it replaces a lower file of the same size. The export hashes
    every file; only these hashes can change the report."""
    wanted = _compared_versions([blobs.get(diff_id) or cache.get(diff_id) for diff_id in diff_ids])
    completed = dict(blobs)
    for position, diff_id in enumerate(diff_ids):
        blob = completed.get(diff_id)
        if blob is None or not blob.deferred:
            continue
        chosen = [item for item in blob.deferred
                  if (position, blob.entries[item[0]].path) in wanted]
        if chosen:
            completed[diff_id] = _with_hashes(blob, chosen, directories[diff_id])
    return completed


def _compared_versions(layers: list[IndexedBlob]) -> set[tuple[int, str]]:
    """(layer, path) of every regular file whose content classify may compare."""
    sizes: dict[str, list[tuple[int, int]]] = {}  # path -> (layer, size) of its regular files
    for position, blob in enumerate(layers):
        for entry in blob.entries:
            if entry.kind == EntryKind.FILE:
                sizes.setdefault(entry.path, []).append((position, entry.size))
    wanted: set[tuple[int, str]] = set()
    for path, versions in sizes.items():
        if len(versions) > 1:
            counts: dict[int, int] = {}
            for _, size in versions:
                counts[size] = counts.get(size, 0) + 1
            wanted.update((layer, path) for layer, size in versions if counts[size] > 1)
    for position, blob in enumerate(layers):
        for entry in blob.entries:
            if entry.kind == EntryKind.HARDLINK and entry.path in sizes:
                wanted.add((position, entry.link_target or ""))
                wanted.update((layer, entry.path) for layer, _ in sizes[entry.path]
                              if layer < position)
    return wanted


def _with_hashes(blob: IndexedBlob, chosen: list, directory: str) -> IndexedBlob:
    entries = list(blob.entries)
    hashes = hash_files(directory, [entries[index].path for index, _, _ in chosen])
    for (index, _, _), content_hash in zip(chosen, hashes):
        entries[index] = FileEntry(*entries[index][:7], content_hash)
    done = {index for index, _, _ in chosen}
    return replace(blob, entries=tuple(entries),
                   deferred=tuple(item for item in blob.deferred if item[0] not in done))

