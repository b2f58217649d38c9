"""The eStargz TOC (stargz-snapshotter's docs/estargz.md), as TocRecords.

An eStargz blob is a gzip stream of many members: each non-empty regular file's content (or
each chunk of a large one) starts a member of its own, and the last members are the TOC (a tar
member `stargz.index.json` holding the CRFS TOC JSON) and a 51-byte footer, an empty gzip
member whose extra field is "%016xSTARGZ" with the TOC's offset. The decompressed blob is the
layer tar, so the TOC's own member is part of the layer: it is indexed from the fetched bytes
by the tar reader itself. The descriptor annotation `containerd.io/snapshot/stargz/toc.digest`
is the sha256 of the TOC JSON; a layer found by its footer alone has nothing to check it by.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Mapping

from isal import isal_zlib

from ..model import EntryKind, FileEntry
from .tarindex import CapturePolicy, index_layer
from .toc import Piece, Ranged, TocUnusable
from .toc_decode import TocEntry, decode

TOC_DIGEST = "containerd.io/snapshot/stargz/toc.digest"
"""The descriptor annotation with the sha256 of the TOC JSON."""
FOOTER_SIZE = 51
TOC_NAME = "/stargz.index.json"
_TOC_ONLY = CapturePolicy((TOC_NAME,), (), lambda path: path == TOC_NAME)


def footer_offset(footer: bytes) -> int | None:
    """The TOC offset an eStargz footer names, or None when these bytes are not one."""
    if (len(footer) != FOOTER_SIZE or footer[:4] != b"\x1f\x8b\x08\x04"
            or footer[10:16] != b"\x1a\x00SG\x16\x00" or footer[32:38] != b"STARGZ"):
        return None
    try:
        return int(footer[16:32], 16)
    except ValueError:
        return None


def read_toc(reader: Ranged, annotations: Mapping[str, str], toc_offset: int,
             inflate_limit: int | None) -> tuple[list[TocEntry], FileEntry, bytes]:
    """The TOC's records, and the TOC's own tar member (its entry as the tar reader makes it,
    and its content), from one range request; checked against the digest annotation when the
    descriptor has one."""
    end = reader.size - FOOTER_SIZE
    if not 0 <= toc_offset < end:
        raise TocUnusable(f"the eStargz footer names a TOC offset ({toc_offset}) outside the blob")
    member = reader.read_range(toc_offset, end - toc_offset)
    inflater = isal_zlib.decompressobj(wbits=31)  # zlib's API, 1.7x its speed
    try:
        tar = inflater.decompress(member, inflate_limit or 0)
    except (zlib.error, isal_zlib.error) as error:
        raise TocUnusable(f"the eStargz TOC member is not gzip: {error}") from error
    if inflater.unconsumed_tail or not inflater.eof or inflater.unused_data:
        raise TocUnusable("the eStargz TOC member is damaged or inflates past the limit")
    captured: dict[str, bytes] = {}
    entries, _ = index_layer(tar, captured, capture=_TOC_ONLY)
    text = captured.get(TOC_NAME)
    if len(entries) != 1 or entries[0].kind != EntryKind.FILE or text is None:
        raise TocUnusable("the eStargz TOC member is not one stargz.index.json file")
    expected = annotations.get(TOC_DIGEST)
    if expected and "sha256:" + hashlib.sha256(text).hexdigest() != expected:
        raise TocUnusable("the eStargz TOC does not match its toc.digest annotation")
    return decode(text), entries[0], text


def pieces(records: list[TocEntry], toc_offset: int):
    """Where the file of a record lies, given the TOC's own member starts at `toc_offset`: a
    piece per chunk, each chunk's gzip member ending where the next member with content (or
    the TOC) starts."""
    starts = []
    owner = False  # whether the last record other than a chunk is a file with content
    for record in records:
        if record.type == "chunk":
            if not owner:
                raise TocUnusable("an eStargz chunk entry follows no regular file")
        else:
            owner = record.type == "reg" and record.size > 0
        if record.offset > 0:
            starts.append(record.offset)
    starts = sorted(set(starts))
    following = dict(zip(starts, [*starts[1:], toc_offset]))

    def piece(record: TocEntry, file_size: int) -> Piece:
        end = following.get(record.offset)
        if end is None:
            raise TocUnusable(f"an eStargz TOC entry has no offset: {record.name[:200]!r}")
        return record.offset, end, record.chunkSize or file_size - record.chunkOffset

    def pieces_of(position: int) -> tuple[Piece, ...]:
        record = records[position]
        found = [piece(record, record.size)]
        for chunk in records[position + 1:]:
            if chunk.type != "chunk":
                break
            found.append(piece(chunk, record.size))
        return tuple(found)

    return pieces_of
