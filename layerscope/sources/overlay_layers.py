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
from itertools import compress, count, repeat
from operator import itemgetter, not_

from ..errors import LayerReadError, SourceError
from ..layers.blob import IndexedBlob
from ..layers.cache import CacheStore
from ..layers.directory_index import hash_files
from ..layers.directory_walks import index_directories
from ..layers.limits import ReadOptions
from ..layers.sink import LayerSink
from ..layers.tarheader import BLOCK, number
from ..model import EntryKind, FileEntry

TAR_SPLIT_HEAD = 64 << 10
"""Compressed bytes of a layer's tar-split read, at most, to find its first tar header."""
TAR_SPLIT_PIECE = 4 << 10
"""Compressed bytes inflated at a time until the first line has ended."""
_PATH, _KIND, _FIRST = itemgetter(0), itemgetter(1), itemgetter(0)
_POSITION = (1 << 32) - 1
_IS_FILE, _IS_HARDLINK = int(EntryKind.FILE).__eq__, int(EntryKind.HARDLINK).__eq__


def writes_type_bits(tar_split: str) -> bool:
    """Whether the layer's tar was written with file-type bits in its modes, from the first
    header its tar-split keeps (the raw bytes of the tar that are not file contents)."""
    descriptor = os.open(tar_split, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    head, read = b"", 0
    with os.fdopen(descriptor, "rb") as handle:
        # a piece at a time up to the first line's end: inflating all 64 KiB of a big layer's
        # tar-split cost 1-2 ms a layer, for one header
        while b"\n" not in head and read < TAR_SPLIT_HEAD:
            piece = handle.read(TAR_SPLIT_PIECE)
            if not piece:
                break
            read += len(piece)
            head += inflater.decompress(piece)
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
    when `options` ask it, else only the contents the analysis compares (see _InOrder)."""
    unread: dict[str, tuple[str, bool]] = {}
    cached: dict[str, IndexedBlob] = {}
    for diff_id, directory, bits in zip(diff_ids, directories, type_bits):
        if diff_id not in unread and diff_id not in cached:
            blob = cache.get(diff_id)
            if blob is None:
                unread[diff_id] = (directory, bits)
            else:
                cached[diff_id] = blob
    names = list(unread)
    taker = _InOrder(diff_ids, dict(zip(diff_ids, directories)), cached,
                     compare=not options.hash_every_file, sink=options.layer_sink)
    index_directories(list(unread.values()), capture=options.capture,
                      hash_all=options.hash_every_file,
                      ready=lambda position, blob: taker.add(names[position], blob))
    return taker.finish(names)


class _InOrder:
    """Takes the layers in image order as their walks deliver them and hands each to the
    sink, if any. With `compare`, it first hashes the unread files whose content the merge
    compares (analysis.merge.classify): the regular files at a path another layer also writes
    a file of the same size at, and, where a hard link takes the path of a lower regular file,
    that file and the link's target. The export hashes every file; only these hashes can
    change the report.

    layers.directory_walks calls add between two walks of this process, so the looking, the
    hashing and the sink's work (the merge) are done while the worker process still walks. A
    layer's regular-file paths are compared with those of the layers below as sets, in C; only
    paths written by more than one layer are looked at one by one (34k of big-churn's 300k)."""

    def __init__(self, diff_ids: list[str], directories: dict[str, str],
                 cached: dict[str, IndexedBlob], *, compare: bool,
                 sink: LayerSink | None) -> None:
        self.diff_ids = diff_ids
        self.compare = compare
        self.sink = sink
        self.taken = 0
        """Layers taken so far, from the bottom."""
        self.directories = directories
        self.blobs = dict(cached)
        """diff ID -> index, as walked or cached."""
        self.files: list[dict[str, int]] = []
        """Per layer taken, in image order: path -> where its regular file's entry is, as
        layer << 32 | position (made in C by counting from layer << 32)."""
        self.latest: dict[str, int] = {}
        """path -> where the last regular file taken at it is, as in `files`."""
        self.written: dict[str, list[tuple[int, int]]] = {}
        """path -> (layer, size) of every regular file taken at it, for paths of more than one."""
        self.hashes: dict[str, dict[int, int]] = {}
        """diff ID -> {entry position: content hash} of the files hashed."""

    def add(self, diff_id: str, blob: IndexedBlob) -> None:
        """A layer walked; every layer now complete from the bottom up is taken."""
        self.blobs[diff_id] = blob
        while self.taken < len(self.diff_ids):
            following = self.blobs.get(self.diff_ids[self.taken])
            if following is None:
                break
            lower_hashes = self._compare(following) if self.compare else ()
            if self.sink is not None:
                diff_id = self.diff_ids[self.taken]
                self.sink.take(self.taken, diff_id,
                               _hashed(following.entries, self.hashes.get(diff_id)),
                               lower_hashes)
            self.taken += 1

    def finish(self, walked: list[str]) -> dict[str, IndexedBlob]:
        """The walked layers with the compared files' hashes in their entries."""
        if walked and self.taken < len(self.diff_ids):
            raise LayerReadError("a layer of the image was not read")  # a bug, not input
        return {diff_id: _with_hashes(self.blobs[diff_id], self.hashes.get(diff_id))
                for diff_id in walked}

    def _compare(self, blob: IndexedBlob) -> list[tuple[int, str, int]]:
        """Hash what this layer's files are compared with; (layer, path, hash) of the files of
        lower layers hashed now."""
        layer = self.taken
        entries = blob.entries
        here = dict(compress(zip(map(_PATH, entries), count(layer << 32)),
                             map(_IS_FILE, map(_KIND, entries))))
        self.files.append(here)
        latest, written = self.latest, self.written
        wanted: list[tuple[int, str]] = []
        for path in here.keys() & latest.keys():
            size = entries[here[path] & _POSITION][2]
            earlier = written.get(path)
            if earlier is None:
                below = latest[path]
                earlier = written[path] = [(below >> 32, self._entry(below)[2])]
            same = [lower for lower, lower_size in earlier if lower_size == size]
            if same:  # two versions of one size: their bytes are compared
                wanted.append((layer, path))
                wanted.extend((lower, path) for lower in same)
            earlier.append((layer, size))
        latest.update(here)
        for entry in compress(entries, map(_IS_HARDLINK, map(_KIND, entries))):
            # classify compares a new link's target only with the version below it
            path = entry.path
            lower = ([below for below, _ in written[path]] if path in written
                     else [latest[path] >> 32] if path in latest else [])
            lower = [below for below in lower if below < layer]
            if lower:
                wanted.append((layer, entry.link_target or ""))
                wanted.extend((below, path) for below in lower)
        return self._hash(wanted, layer) if wanted else []

    def _entry(self, where: int) -> FileEntry:
        """The entry at `where` (layer << 32 | position)."""
        return self.blobs[self.diff_ids[where >> 32]].entries[where & _POSITION]

    def _hash(self, wanted: list[tuple[int, str]], taking: int) -> list[tuple[int, str, int]]:
        """Hash the wanted files not hashed yet, a layer directory at a time; (layer, path,
        hash) of those below the layer `taking`."""
        by_layer: dict[int, dict[int, str]] = {}
        lower: list[tuple[int, str, int]] = []
        for layer, path in wanted:
            where = self.files[layer].get(path)
            diff_id = self.diff_ids[layer]
            if where is None or self._entry(where)[7] is not None:
                continue  # not a regular file there, or read already
            position = where & _POSITION
            if position not in self.hashes.get(diff_id, ()):
                by_layer.setdefault(layer, {})[position] = path
        for layer, chosen in by_layer.items():
            diff_id = self.diff_ids[layer]
            entries = self.blobs[diff_id].entries
            hashes = hash_files(self.directories[diff_id], list(chosen.values()),
                                [entries[position][2] for position in chosen])
            self.hashes.setdefault(diff_id, {}).update(zip(chosen, hashes))
            if layer < taking:
                lower += zip(repeat(layer), chosen.values(), hashes)
        return lower


def _hashed(entries: tuple[FileEntry, ...], hashes: dict[int, int] | None,
            ) -> tuple[FileEntry, ...]:
    if not hashes:
        return entries
    hashed = list(entries)
    for index, content_hash in hashes.items():
        hashed[index] = FileEntry(*hashed[index][:7], content_hash)
    return tuple(hashed)


def _with_hashes(blob: IndexedBlob, hashes: dict[int, int] | None) -> IndexedBlob:
    if not hashes:
        return blob
    deferred = blob.deferred
    return replace(blob, entries=_hashed(blob.entries, hashes), deferred=tuple(
        compress(deferred, map(not_, map(hashes.__contains__, map(_FIRST, deferred))))))
