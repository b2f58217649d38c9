"""Layers indexed from overlay diff directories, as the engine's overlay2 store and
containers-storage's overlay driver keep them: each layer's files where they lie
(layers.directory_index), its tar's mode style from its tar-split, and only the contents the
analysis compares hashed."""

from __future__ import annotations

import base64
import json
import os
import zlib
from dataclasses import replace

from ..errors import SourceError
from ..layers.blob import IndexedBlob
from ..layers.cache import CacheStore
from ..layers.directory_index import hash_files
from ..layers.directory_walks import index_directories
from ..layers.limits import ReadOptions
from ..layers.tarheader import BLOCK, number
from ..model import EntryKind, FileEntry

TAR_SPLIT_HEAD = 64 << 10
"""Compressed bytes of a layer's tar-split read to find its first tar header."""


def writes_type_bits(tar_split: str) -> bool:
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


class IndexedLayers:
    """The layers indexed from a store, handed to resolve as a store of named blobs."""

    def __init__(self, blobs: dict[str, IndexedBlob]) -> None:
        self.blobs = blobs

    def has(self, name: str) -> bool:
        return name in self.blobs

    def raw(self, name: str) -> bytes:
        raise SourceError(f"{name} is not a document of a layer store")

    def layer(self, name: str) -> IndexedBlob:
        return self.blobs[name]


def index_layers(diff_ids: list[str], directories: tuple[str, ...] | list[str],
                 type_bits: tuple[bool, ...] | list[bool], cache: CacheStore,
                 options: ReadOptions) -> dict[str, IndexedBlob]:
    """The layers not in `cache` indexed from their diff directories, with every file hashed
    when `options` ask it, else only the contents the analysis compares (see _hash_compared)."""
    unread: dict[str, tuple[str, bool]] = {}
    for diff_id, directory, bits in zip(diff_ids, directories, type_bits):
        if diff_id not in unread and cache.get(diff_id) is None:
            unread[diff_id] = (directory, bits)
    indexes = index_directories(list(unread.values()), capture=options.capture,
                                hash_all=options.hash_every_file)
    blobs: dict[str, IndexedBlob] = dict(zip(unread, indexes))
    if not options.hash_every_file:
        blobs = _hash_compared(diff_ids, dict(zip(diff_ids, directories)), blobs, cache)
    return blobs


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

