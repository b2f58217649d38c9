"""A layer blob, indexed: the one function every store uses to read a layer."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import LayerReadError
from ..model import FileEntry
from .decompress import PrefixedStream, open_uncompressed, sniff
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


def index_blob(handle, stored_size: int | None, head: bytes | None = None) -> IndexedBlob:
    """Decompress (by magic bytes) and index a layer blob read from `handle`.

    `head` is the blob's first bytes when the caller already read them to sniff the format.
    """
    if head is None:
        head = handle.read(512)
    codec = sniff(head)
    if codec is None:
        raise LayerReadError("the blob is not a tar, gzip or zstd stream")
    captured: dict[str, bytes] = {}
    entries, size = index_layer(open_uncompressed(PrefixedStream(head, handle)), captured)
    return IndexedBlob(entries, size, stored_size, codec, captured)
