"""A layer indexed from its table of contents (zstd:chunked, eStargz) instead of its tar.

The two formats' TOCs list every tar member with its name, type, size, mode, owner, link target
and, for a regular file, the sha256 of its content and where its compressed bytes lie. This
module maps those records to exactly the FileEntry tuples layers.tarindex makes of the same
layer's tar (the same paths, kinds, sizes, whiteouts and skipped members), and fetches by range
the few contents an index needs: the files the capture policy keeps, and the files whose hash
must be the tar reader's (below).

Content identity. The tar reader hashes content with xxh3-64; a TOC gives sha256 digests. A
file known only by its digest carries `TOC_HASH_BASE + int(digest)` as its content_hash, a
value no xxh3-64 reaches, so two hashes of one kind compare directly (same digest, same bytes)
and a hash's kind is its magnitude. Where the analysis would compare two versions of a path
whose hashes are of different kinds (a layer from the TOC over one from a tar or the cache),
`tar_hashes_needed` names the TOC versions to hash the tar way, from their bytes fetched by
range (`tar_hashes`). An empty file needs no bytes: it gets xxh3 of nothing, as a tar gives it.
"""

from __future__ import annotations

import bisect
import hashlib
import io
import threading
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import xxhash
from isal import isal_zlib

from ..model import FileEntry
from .blob import IndexedBlob
from .tarindex import CAPTURE_LIMIT, CapturePolicy
from .toc_decode import (  # noqa: F401 - the TOC's hashes and error, named here for callers
    EMPTY_HASH,
    FILE,
    HARDLINK,
    TOC_HASH_BASE,
    Decoded,
    TocUnusable,
    digest_hash,
)

COALESCE_GAP = 64 << 10
"""Ranges closer than this are fetched in one request: a request costs more than the gap."""
PARALLEL_RANGES = 4
"""Range requests of one layer's files made at once."""
OUTPUT_STEP = 4 << 20
"""Decompressed bytes produced at a time while a fetched file is hashed."""

class Ranged(Protocol):
    """Random access to a stored blob: what sources.base.RangeReader provides (layers sit below
    sources, so the shape is restated here, not imported)."""

    size: int
    """Bytes of the whole blob."""

    def read_range(self, offset: int, length: int) -> bytes:
        """Exactly `length` bytes from `offset`, or a LayerscopeError."""
        ...


class CountingRanges:
    """A Ranged that counts the requests it made and the bytes they brought."""

    def __init__(self, reader: Ranged) -> None:
        self._reader = reader
        self._lock = threading.Lock()  # a layer's ranges are fetched from several threads
        self.size = reader.size
        self.fetched = 0
        self.requests = 0

    def read_range(self, offset: int, length: int) -> bytes:
        data = self._reader.read_range(offset, length)
        with self._lock:
            self.fetched += len(data)
            self.requests += 1
        return data


Piece = tuple[int, int, int]
"""(start, end) of compressed bytes in the blob, and how many decompressed bytes of the first
compressed member (gzip) or of all frames (zstd) starting there belong to the file."""


class Located(Mapping):
    """Entry index -> a value computed on demand from that regular file's TOC record: every
    file's pieces and digest are there to ask for, and a run asks for a handful."""

    __slots__ = ("_located", "_value")

    def __init__(self, located: Mapping[int, int], value: Callable[[int], object]) -> None:
        self._located = located
        self._value = value

    def __getitem__(self, index: int):
        return self._value(self._located[index])

    def __iter__(self) -> Iterator[int]:
        return iter(self._located)

    def __len__(self) -> int:
        return len(self._located)


@dataclass(frozen=True, slots=True)
class TocContent:
    """Where a TOC-indexed layer's files lie, to fetch and hash any of them later."""

    codec: str
    """zstd or gzip: how each piece is compressed."""
    pieces: Mapping[int, tuple[Piece, ...]]
    """Entry index -> where the content of that regular file lies."""
    digests: Mapping[int, str]
    """Entry index -> the TOC's sha256 of that file, checked against fetched bytes."""


@dataclass(frozen=True, slots=True)
class TocIndexed:
    """A layer indexed from its TOC."""

    blob: IndexedBlob
    """The index, as the tar reader would have made it but for digest-kind content hashes."""
    content: TocContent
    """Where its regular files lie."""
    fetched: int
    """Bytes fetched to make it (the TOC and the captured files)."""
    requests: int
    """Range requests made to make it."""


def is_digest_hash(content_hash: int | None) -> bool:
    """Whether a content_hash is a TOC digest rather than the tar reader's xxh3-64."""
    return content_hash is not None and content_hash >= TOC_HASH_BASE


def index_decoded(decoded: Decoded, pieces_of: Callable[[int], tuple[Piece, ...]],
                  reader: Ranged, codec: str, capture: CapturePolicy | None,
                  tail: Sequence[tuple[FileEntry, bytes]] = ()) -> TocIndexed:
    """The index the tar reader makes of the layer a decoded TOC describes, in its order, then
    the `tail` members (the eStargz TOC's own tar member, with its content); `pieces_of` says
    where the file of a TOC record lies. The captured files' contents are fetched through
    `reader` and checked against their digests."""
    counting = reader if isinstance(reader, CountingRanges) else CountingRanges(reader)
    entries, records, located = decoded.entries, decoded.records, decoded.located
    kept = [] if capture is None else [
        i for i in decoded.kept if entries[i].size <= CAPTURE_LIMIT and capture.wants(entries[i].path)]
    with_content = [i for i in kept if i in located]
    contents = dict(zip(with_content, fetch_contents(
        counting, codec, [pieces_of(located[i]) for i in with_content],
        [entries[i].size for i in with_content])))
    captured: dict[str, bytes] = {}
    for index in kept:
        content = contents.get(index, b"")
        if index in contents:  # its bytes are here: the tar reader's hash costs nothing more
            _check_digest(content, records[located[index]].digest, entries[index].path)
            entries[index] = entries[index]._replace(content_hash=xxhash.xxh3_64_intdigest(content))
        captured[entries[index].path] = content
    for entry, content in tail:
        entries.append(entry)
        if capture is not None and entry.kind == FILE and _wanted(capture, entry):
            captured[entry.path] = content
    content = TocContent(codec, Located(located, pieces_of),
                         Located(located, lambda position: records[position].digest))
    # only regular files and symlinks have a size (directories, links and markers count 0)
    blob = IndexedBlob(tuple(entries), sum(e.size for e in entries), reader.size, codec, captured)
    return TocIndexed(blob, content, counting.fetched, counting.requests)


def _wanted(capture: CapturePolicy, entry: FileEntry) -> bool:
    path = entry.path
    return (entry.size <= CAPTURE_LIMIT and (path.startswith(capture.prefixes)
            or path.endswith(capture.suffixes)) and capture.wants(path))


def _check_digest(content: bytes, digest: str, path: str) -> None:
    if "sha256:" + hashlib.sha256(content).hexdigest() != digest:
        raise TocUnusable(f"the content fetched for {path[:200]!r} does not match its TOC digest")


def fetch_contents(reader: Ranged, codec: str, wanted: Sequence[tuple[Piece, ...]],
                   sizes: Sequence[int]) -> list[bytes]:
    """Each wanted file's content (its pieces decompressed and joined), fetched in as few range
    requests as the pieces' nearness allows; a file that decompresses to other than its size is
    TocUnusable."""
    blocks = _fetch_blocks(reader, [piece for pieces in wanted for piece in pieces])
    decompressor = _decompressor(codec)
    contents = []
    for pieces, size in zip(wanted, sizes):
        output = bytearray()
        for piece in pieces:
            for part in _decompressed(blocks, codec, piece, decompressor):
                output += part
        if len(output) != size:
            raise TocUnusable(f"a file's pieces decompress to {len(output)} bytes, the TOC says {size}")
        contents.append(bytes(output))
    return contents


def tar_hashes(reader: Ranged, content: TocContent, indexes: Sequence[int],
               sizes: Sequence[int]) -> list[int]:
    """The tar reader's hash (xxh3-64) of each file `indexes` names, its bytes fetched by range,
    decompressed a step at a time and checked against the TOC digest."""
    blocks = _fetch_blocks(reader, [piece for i in indexes for piece in content.pieces[i]])
    decompressor = _decompressor(content.codec)
    hashes = []
    for index, size in zip(indexes, sizes):
        fast, check, produced = xxhash.xxh3_64(), hashlib.sha256(), 0
        for piece in content.pieces[index]:
            for part in _decompressed(blocks, content.codec, piece, decompressor):
                fast.update(part)
                check.update(part)
                produced += len(part)
        if produced != size or "sha256:" + check.hexdigest() != content.digests[index]:
            raise TocUnusable("a file's content fetched by range does not match its TOC entry")
        hashes.append(fast.intdigest())
    return hashes


def _fetch_blocks(reader: Ranged, pieces: list[Piece]) -> list[tuple[int, bytes]]:
    """The pieces' byte ranges, near ones merged into one request, the requests made at once:
    (start, bytes), by start."""
    spans: list[list[int]] = []
    for start, end, _ in sorted(pieces):
        if spans and start <= spans[-1][1] + COALESCE_GAP:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    for start, end in spans:
        if not 0 <= start < end <= reader.size:
            raise TocUnusable(f"a TOC offset ({start}-{end}) outside the blob's {reader.size} bytes")
    if len(spans) < 2:
        return [(start, reader.read_range(start, end - start)) for start, end in spans]
    # each request waits mostly on the network: in turn, a layer's few ranges cost a round
    # trip each on its critical path
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(min(PARALLEL_RANGES, len(spans))) as pool:
        return list(zip([start for start, _ in spans], pool.map(
            lambda span: reader.read_range(span[0], span[1] - span[0]), spans)))


def _decompressor(codec: str):
    """What _decompressed inflates zstd pieces with, for one thread's pieces in turn: a
    decompression context a file cost 20 us to make, where decompressing one took 1 us."""
    if codec != "zstd":
        return None
    import zstandard

    return zstandard.ZstdDecompressor()


def _decompressed(blocks: list[tuple[int, bytes]], codec: str, piece: Piece, decompressor=None):
    """The decompressed bytes of one piece, OUTPUT_STEP at a time (zstd with `decompressor`,
    from _decompressor)."""
    start, end, length = piece
    position = bisect.bisect_right(blocks, start, key=lambda block: block[0]) - 1
    base, data = blocks[position]
    compressed = memoryview(data)[start - base:end - base]
    remaining = length
    try:
        if codec == "gzip":
            inflater = isal_zlib.decompressobj(wbits=31)  # zlib's API, 1.7x its speed
            pending = bytes(compressed)
            while remaining and not inflater.eof:
                part = inflater.decompress(pending, min(remaining, OUTPUT_STEP))
                pending = inflater.unconsumed_tail
                if not part:
                    return  # the member ends short: the caller finds the size wrong
                remaining -= len(part)
                yield part
            return
        reader = decompressor.stream_reader(io.BytesIO(compressed), read_across_frames=True)
        while remaining:
            part = reader.read(min(remaining, OUTPUT_STEP))
            if not part:
                return
            remaining -= len(part)
            yield part
    except (zlib.error, isal_zlib.error, ValueError, OSError) as error:  # ZstdError is a ValueError
        raise TocUnusable(f"a file's compressed bytes are damaged: {error}") from error


def tar_hashes_needed(layers: Sequence[Sequence[FileEntry]]) -> dict[int, list[int]]:
    """Per layer position, the entries whose digest-kind hash must be replaced by the tar
    reader's so that every pair of versions the analysis compares (two regular files at one
    path, or one and the file a later hard link at that path shares) has hashes of one kind.
    Pairs of different sizes need nothing: the sizes alone tell them apart."""
    at_path: dict[str, list[tuple[int, int]]] = {}
    for position, entries in enumerate(layers):
        for index, entry in enumerate(entries):
            if entry.kind == FILE or entry.kind == HARDLINK:
                at_path.setdefault(entry.path, []).append((position, index))
    files_by_layer: dict[int, dict[str, int]] = {}
    needed: dict[int, set[int]] = {}
    for versions in at_path.values():
        if len(versions) < 2:
            continue
        by_size: dict[int, list[tuple[int, int]]] = {}
        for position, index in _compared_files(layers, versions, files_by_layer):
            by_size.setdefault(layers[position][index].size, []).append((position, index))
        for members in by_size.values():
            digest_kind = [(p, i) for p, i in members if is_digest_hash(layers[p][i].content_hash)]
            if digest_kind and len(digest_kind) < len(members):
                for position, index in digest_kind:
                    needed.setdefault(position, set()).add(index)
    return {position: sorted(indexes) for position, indexes in needed.items()}


def _compared_files(layers: Sequence[Sequence[FileEntry]], versions: list[tuple[int, int]],
                    files_by_layer: dict[int, dict[str, int]]) -> list[tuple[int, int]]:
    """The regular files whose content the versions at one path stand for: a file itself, a
    hard link the file of its layer it shares content with."""
    found = []
    for position, index in versions:
        entry = layers[position][index]
        if entry.kind == HARDLINK:
            files = files_by_layer.get(position)
            if files is None:
                files = files_by_layer[position] = {
                    e.path: i for i, e in enumerate(layers[position]) if e.kind == FILE}
            index = files.get(entry.link_target)
            if index is None:
                continue
        found.append((position, index))
    return found


def with_tar_hashes(blob: IndexedBlob, indexes: Sequence[int], hashes: Sequence[int]) -> IndexedBlob:
    """The index with the named entries' content hashes replaced."""
    entries = list(blob.entries)
    for index, content_hash in zip(indexes, hashes):
        entries[index] = entries[index]._replace(content_hash=content_hash)
    return IndexedBlob(tuple(entries), blob.size, blob.stored_size, blob.codec, blob.captured,
                       blob.digest, blob.deferred)
