"""Which TOC a layer blob has, and its index made from that TOC alone (see layers.toc).

A source with random access to its blobs (the registry, by Range requests) asks here first;
None means the layer has no TOC, TocUnusable that it has one that cannot stand in for the tar
(the source then reads the layer whole and says why under --debug). What the reader raises
while reading a TOC the annotations promise passes through as it is: the source knows which of
its failures a whole read may get past.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import SourceError
from . import toc_estargz, toc_zstd_chunked
from .decompress import media_type_codec
from .limits import ReadOptions
from .toc import CountingRanges, Ranged, TocIndexed, TocUnusable, index_decoded
from .toc_decode import file_entries
from .toc_estargz import FOOTER_SIZE, TOC_DIGEST, footer_offset, read_toc
from .toc_zstd_chunked import is_zstd_chunked, read_records

CACHE_PREFIX = "toc-"
"""Indexes made from a TOC carry digest-kind hashes (layers.toc) that only a reader able to
fetch the files can turn into the tar reader's; they are cached under this prefix to the diff
ID, so a source reading tars never mixes them into its images unresolved."""


def toc_cache_key(diff_id: str) -> str:
    """The cache key of a layer's index made from its TOC."""
    return CACHE_PREFIX + diff_id


def index_from_toc(media_type: str | None, annotations: Mapping[str, str], reader: Ranged,
                   options: ReadOptions | None = None) -> TocIndexed | None:
    """The layer's index from its zstd:chunked or eStargz TOC; None when it has neither (or
    --verify asks for every layer to be read whole, to check its diff ID)."""
    options = ReadOptions() if options is None else options
    if options.verify:
        return None
    counting = CountingRanges(reader)
    limit = options.inflate_limit(reader.size)
    if is_zstd_chunked(annotations):
        records = read_records(counting, annotations, limit)
        # a zstd:chunked file's offset may be 0 in principle; an eStargz one follows a header
        return index_decoded(file_entries(records, options.capture, 0),
                             toc_zstd_chunked.pieces(records), counting, "zstd", options.capture)
    if media_type_codec(media_type) != "gzip" or reader.size < FOOTER_SIZE:
        return None
    try:
        offset = footer_offset(counting.read_range(reader.size - FOOTER_SIZE, FOOTER_SIZE))
    except SourceError as error:
        if TOC_DIGEST in annotations:
            raise
        # a look for a TOC no annotation promised: a whole read meets the failure on its own
        raise TocUnusable(f"its footer could not be read: {error.message}") from error
    if offset is None:
        if TOC_DIGEST in annotations:
            raise TocUnusable("the layer's annotations name an eStargz TOC, its footer does not")
        return None
    records, member, content = read_toc(counting, annotations, offset, limit)
    return index_decoded(file_entries(records, options.capture, 1),
                         toc_estargz.pieces(records, offset), counting, "gzip", options.capture,
                         ((member, content),))
