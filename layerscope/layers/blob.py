"""A layer blob, indexed: the one function every store uses to read a layer."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import LayerReadError
from ..model import FileEntry
from .decompress import PrefixedStream, open_uncompressed, sniff
from .limits import CountingStream, HashingStream, InflateGuard, ReadOptions
from .readahead import BlockPool, PiecesAhead, ReadAhead
from .tarindex import index_layer


@dataclass(frozen=True, slots=True)
class IndexedBlob:
    """A layer blob after reading: its entries, its size and what its bytes turned out to be."""

    entries: tuple[FileEntry, ...]
    """The layer's members in tar order."""
    size: int
    """Sum of the entry sizes."""
    stored_size: int | None
    """Bytes of the blob as stored."""
    codec: str
    """tar, gzip or zstd, as the magic bytes showed."""
    captured: dict[str, bytes] = field(default_factory=dict)
    """Contents of the package-database files in the layer, by path."""
    digest: str | None = None
    """sha256 of the uncompressed stream ("sha256:..."), when it was read with --verify."""
    deferred: tuple[tuple[int, int, int], ...] = ()
    """(entry index, offset of its content in the layer, size) of each regular file whose
    content was skipped unread and has no content_hash: an index that no cache may keep."""


def index_blob(handle, stored_size: int | None, head: bytes | None = None,
               options: ReadOptions | None = None, read_ahead: BlockPool | None = None,
               defer: bool = False, inflate_ahead: bool = False) -> IndexedBlob:
    """Decompress (by magic bytes) and index a layer blob read from `handle`.

    `head` is the blob's first bytes when the caller already read them to sniff the format.
    A compressed blob may inflate to no more than `options` allow (a decompression bomb is a
    LayerReadError); with `options.verify` the uncompressed stream is hashed as the tar reader
    consumes it, to the last byte, and the digest is returned for checking against diff_ids.
    With a `read_ahead` pool (and a file the caller lends to this call alone), an uncompressed
    blob is read on a second thread into the pool's blocks while it is indexed (see
    layers.readahead). With `defer` (a handle that can skip()), an uncompressed blob's large
    files are skipped unread (see IndexedBlob.deferred). With `inflate_ahead`, a gzip blob is
    inflated on a thread of its own while it is indexed (layers.readahead.PiecesAhead): for a
    handle, such as a registry download, that no other thread reads meanwhile.
    """
    options = ReadOptions() if options is None else options
    if head is None:
        head = handle.read(512)
    codec = sniff(head)
    if codec is None:
        raise LayerReadError("the blob is not a tar, gzip or zstd stream")
    captured: dict[str, bytes] = {}
    if codec == "tar" and defer and not options.verify and hasattr(handle, "skip"):
        deferred: list[tuple[int, int, int]] = []
        entries, size = index_layer(handle, captured, deferred, head, options.capture)
        return IndexedBlob(entries, size, stored_size, codec, captured, deferred=tuple(deferred))
    if (codec == "tar" and read_ahead is not None and not options.verify
            and hasattr(handle, "readinto")):
        ahead = ReadAhead(handle, head, read_ahead)
        try:
            entries, size = index_layer(ahead, captured, capture=options.capture)
        finally:
            ahead.close()
        return IndexedBlob(entries, size, stored_size, codec, captured)
    counter = None
    source = PrefixedStream(head, handle)
    if codec != "tar" and stored_size is None:
        source = counter = CountingStream(source)
    stream, ahead = open_uncompressed(source), None
    if inflate_ahead and not options.verify and hasattr(stream, "next_piece"):
        stream = ahead = PiecesAhead(stream.next_piece)
    if codec != "tar":
        stream = InflateGuard(stream, options, stored_size, counter)
    hashing = HashingStream(stream) if options.verify else None
    try:
        entries, size = index_layer(stream if hashing is None else hashing, captured,
                                    capture=options.capture)
    finally:
        if ahead is not None:
            ahead.close()
    digest = hashing.finish() if hashing is not None else None
    return IndexedBlob(entries, size, stored_size, codec, captured, digest)
