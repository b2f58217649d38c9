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
from itertools import compress, count
from operator import itemgetter, not_

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
_PATH, _KIND, _FIRST = itemgetter(0), itemgetter(1), itemgetter(0)
_IS_FILE, _IS_HARDLINK = int(EntryKind.FILE).__eq__, int(EntryKind.HARDLINK).__eq__


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
    a hard link points to where it replaces a lower file. The export hashes every file; only
    these hashes can change the report."""
    layers = [blobs.get(diff_id) or cache.get(diff_id) for diff_id in diff_ids]
    files = [_file_positions(blob) for blob in layers]
    completed = dict(blobs)
    for position, paths in _compared_versions(layers, files).items():
        diff_id = diff_ids[position]
        blob = completed.get(diff_id)
        if blob is None or not blob.deferred:
            continue
        entries = blob.entries
        chosen = sorted(index for index in map(files[position].get, paths)
                        if index is not None and entries[index][7] is None)
        if chosen:
            completed[diff_id] = _with_hashes(blob, chosen, directories[diff_id])
    return completed


def _file_positions(blob: IndexedBlob) -> dict[str, int]:
    """path -> position in the layer's entries of each regular file (made in C: big-churn's
    20 layers hold 333k)."""
    entries = blob.entries
    return dict(compress(zip(map(_PATH, entries), count()),
                         map(_IS_FILE, map(_KIND, entries))))


def _compared_versions(layers: list[IndexedBlob],
                       files: list[dict[str, int]]) -> dict[int, set[str]]:
    """The paths, by layer, of every regular file whose content classify may compare. Only
    paths more than one layer writes a file at are looked at one by one (34k of big-churn's
    300k)."""
    wanted: dict[int, set[str]] = {}
    for path, versions in _rewritten(files).items():
        sizes = [layers[layer].entries[files[layer][path]][2] for layer in versions]
        if len(set(sizes)) < len(sizes):  # two versions of one size: their bytes are compared
            for layer, size in zip(versions, sizes):
                if sizes.count(size) > 1:
                    wanted.setdefault(layer, set()).add(path)
    for position, blob in enumerate(layers):
        for entry in compress(blob.entries, map(_IS_HARDLINK, map(_KIND, blob.entries))):
            path = entry.path
            lower = [layer for layer, here in enumerate(files) if path in here]
            if lower:
                wanted.setdefault(position, set()).add(entry.link_target or "")
                for layer in lower:
                    if layer < position:
                        wanted.setdefault(layer, set()).add(path)
    return wanted


def _rewritten(files: list[dict[str, int]]) -> dict[str, list[int]]:
    """path -> the layers with a regular file there, for each path more than one layer writes a
    regular file at; the paths of a layer are compared with those below it as sets, in C."""
    latest: dict[str, int] = {}  # path -> the last layer so far with a regular file there
    written: dict[str, list[int]] = {}
    for layer, here in enumerate(files):
        for path in here.keys() & latest.keys():
            earlier = written.get(path)
            if earlier is None:
                written[path] = [latest[path], layer]
            else:
                earlier.append(layer)
        latest.update(dict.fromkeys(here, layer))
    return written


def _with_hashes(blob: IndexedBlob, chosen: list[int], directory: str) -> IndexedBlob:
    entries = list(blob.entries)
    hashes = hash_files(directory, [entries[index].path for index in chosen])
    for index, content_hash in zip(chosen, hashes):
        entries[index] = FileEntry(*entries[index][:7], content_hash)
    done = set(chosen)
    deferred = blob.deferred
    return replace(blob, entries=tuple(entries), deferred=tuple(
        compress(deferred, map(not_, map(done.__contains__, map(_FIRST, deferred))))))
