"""The zstd:chunked TOC ("manifest") of containers/storage, as TocRecords.

A zstd:chunked blob is a zstd stream whose every non-empty regular file is its own frame(s),
followed by skippable frames holding the manifest (zstd-compressed JSON in the CRFS TOC
shape), in newer writers the tar-split data, and a footer. The layer descriptor names the
manifest: `io.github.containers.zstd-chunked.manifest-position` (or the older
`io.containers.` spelling skopeo 1.9 writes) is "offset:compressed length:uncompressed
length:type", and `...manifest-checksum` the sha256 of those compressed bytes. The manifest is
read only when the checksum is there to vouch for it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from .toc import Piece, Ranged, TocUnusable
from .toc_decode import TocEntry, decode

PREFIXES = ("io.github.containers.zstd-chunked.", "io.containers.zstd-chunked.")
"""The annotation prefixes, current spelling first."""
MANIFEST_TYPE = 1
"""The only manifest type there is (the CRFS TOC JSON)."""


def is_zstd_chunked(annotations: Mapping[str, str]) -> bool:
    """Whether a layer descriptor's annotations name a zstd:chunked manifest."""
    return any(prefix + "manifest-position" in annotations for prefix in PREFIXES)


def read_records(reader: Ranged, annotations: Mapping[str, str],
                 inflate_limit: int | None) -> list[TocEntry]:
    """The manifest's entries, fetched with one range request and checked against the
    descriptor's checksum."""
    prefix = next(p for p in PREFIXES if p + "manifest-position" in annotations)
    position = annotations[prefix + "manifest-position"]
    checksum = annotations.get(prefix + "manifest-checksum")
    if not checksum:
        raise TocUnusable("the zstd:chunked layer has no manifest checksum to trust its TOC by")
    try:
        offset, length, uncompressed, kind = (int(part) for part in position.split(":"))
    except ValueError:
        raise TocUnusable(f"a malformed zstd:chunked manifest position {position[:80]!r}") from None
    if kind != MANIFEST_TYPE:
        raise TocUnusable(f"zstd:chunked manifest type {kind} is not known")
    if not (0 <= offset and 0 < length and offset + length <= reader.size and uncompressed > 0):
        raise TocUnusable(f"the zstd:chunked manifest position {position[:80]!r} is outside the blob")
    if inflate_limit is not None and uncompressed > inflate_limit:
        raise TocUnusable(f"the zstd:chunked manifest claims {uncompressed:,} bytes, over the "
                          f"limit of {inflate_limit:,}")
    data = reader.read_range(offset, length)
    if "sha256:" + hashlib.sha256(data).hexdigest() != checksum:
        raise TocUnusable("the zstd:chunked manifest does not match its checksum annotation")
    import zstandard

    try:
        text = zstandard.ZstdDecompressor().decompress(data, max_output_size=uncompressed)
    except zstandard.ZstdError as error:
        raise TocUnusable(f"the zstd:chunked manifest is unreadable: {error}") from error
    return decode(text)


def pieces(records: list[TocEntry]):
    """Where the file of a record lies: one piece, its offsets covering its chunks' frames."""

    def pieces_of(position: int) -> tuple[Piece, ...]:
        record = records[position]
        return ((record.offset, record.endOffset, record.size),)

    return pieces_of
