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
import json
import zlib
from collections.abc import Mapping

from ..model import EntryKind, FileEntry
from .tarindex import CapturePolicy, index_layer
from .toc import Ranged, TocRecord, TocUnusable

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
             inflate_limit: int | None) -> tuple[list[TocRecord], FileEntry, bytes]:
    """The TOC's records, and the TOC's own tar member (its entry as the tar reader makes it,
    and its content), from one range request; checked against the digest annotation when the
    descriptor has one."""
    end = reader.size - FOOTER_SIZE
    if not 0 <= toc_offset < end:
        raise TocUnusable(f"the eStargz footer names a TOC offset ({toc_offset}) outside the blob")
    member = reader.read_range(toc_offset, end - toc_offset)
    inflater = zlib.decompressobj(wbits=31)
    try:
        tar = inflater.decompress(member, inflate_limit or 0)
    except zlib.error as error:
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
    try:
        toc = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise TocUnusable(f"the eStargz TOC is not JSON: {error}") from error
    return records_of(toc, toc_offset), entries[0], text


def records_of(toc, toc_offset: int) -> list[TocRecord]:
    """TocRecords from a parsed eStargz TOC whose own member starts at `toc_offset`: each
    chunk's gzip member ends where the next member with content (or the TOC) starts."""
    if not isinstance(toc, dict) or toc.get("version") != 1 or not isinstance(toc.get("entries"), list):
        raise TocUnusable("the eStargz TOC is not version 1 with an entry list")
    try:
        starts = sorted({int(e["offset"]) for e in toc["entries"] if e.get("offset")})
        following = dict(zip(starts, [*starts[1:], toc_offset]))
        records: list[TocRecord] = []
        for entry in toc["entries"]:
            kind = entry["type"]
            if kind == "chunk":
                if not (records and records[-1].kind == "reg" and records[-1].pieces):
                    raise TocUnusable("an eStargz chunk entry follows no regular file")
                owner = records[-1]
                records[-1] = owner._replace(pieces=(*owner.pieces, _piece(entry, owner.size, following)))
                continue
            size = int(entry.get("size") or 0) if kind == "reg" else 0
            records.append(TocRecord(
                str(entry["name"]), str(kind), size, int(entry.get("mode") or 0),
                int(entry.get("uid") or 0), int(entry.get("gid") or 0),
                str(entry.get("linkName") or ""), entry.get("digest") or None,
                (_piece(entry, size, following),) if size else ()))
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise TocUnusable(f"an eStargz TOC entry is malformed: {error}") from error
    return records


def _piece(entry: dict, file_size: int, following: dict[int, int]) -> tuple[int, int, int]:
    """Where one chunk (or an unchunked file) lies: its gzip member, up to the next one."""
    start = int(entry["offset"])
    taken = int(entry.get("chunkSize") or 0) or file_size - int(entry.get("chunkOffset") or 0)
    return start, following[start], taken
