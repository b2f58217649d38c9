"""The TOC JSON of both formats (the CRFS shape zstd:chunked and eStargz share) decoded straight
into typed records, and those records turned, in one pass, into the FileEntry tuples the tar
reader makes of the same members (see layers.toc for the mapping's rules).

Why by hand and typed: size:v1's three TOCs are 12 MB of JSON for 22k members. json.loads
into dicts, a record per entry and an entry per record took 0.12 s of a 0.4 s run; msgspec
decodes into these structs about six times faster than json.loads makes dicts, and the one
loop below builds each FileEntry with no record between.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import msgspec
import xxhash

from ..errors import LayerReadError
from ..model import EntryKind, FileEntry
from .tarindex import OPAQUE_MARKER, WHITEOUT_PREFIX, CapturePolicy, normalize_member_path

TOC_HASH_BASE = 1 << 256
"""content_hash of a file known by its TOC digest: this plus the sha256 as an integer."""
EMPTY_HASH = xxhash.xxh3_64_intdigest(b"")
"""What the tar reader gives a file with no content."""


class TocUnusable(LayerReadError):
    """The layer has a TOC that cannot stand in for its tar (the range read failed, its digest
    does not match, or it cannot say something the tar says); the caller reads it whole."""


def digest_hash(digest: str) -> int:
    """The content_hash of a file known by its sha256 digest ("sha256:" and 64 hex digits)."""
    algorithm, _, value = digest.partition(":")
    if algorithm != "sha256" or len(value) != 64:
        raise TocUnusable(f"a TOC digest that is not sha256: {digest[:80]!r}")
    try:
        return TOC_HASH_BASE + int(value, 16)
    except ValueError:
        raise TocUnusable(f"a malformed TOC digest: {digest[:80]!r}") from None


class TocEntry(msgspec.Struct, gc=False):
    """One TOC entry; a field the writer left out has its zero (offsets: -1, meaning none)."""

    name: str
    """The member name as the TOC spells it (Go spells bytes that are not UTF-8 as U+FFFD)."""
    type: str
    """reg, dir, symlink, hardlink, char, block, fifo, or chunk (a later piece of a file)."""
    size: int = 0
    """Uncompressed content bytes of a regular file."""
    mode: int = 0
    """Mode as the tar header has it."""
    uid: int = 0
    """Owner user ID."""
    gid: int = 0
    """Owner group ID."""
    linkName: str = ""  # the TOC's own keys, as Go spells them
    """Link target of a symlink or hard link."""
    digest: str = ""
    """sha256 of a regular file's whole content ("sha256:..."), when it has content."""
    offset: int = -1
    """Where the file's (or chunk's) compressed bytes start in the blob."""
    endOffset: int = -1
    """zstd:chunked: where the file's (or chunk's) compressed bytes end."""
    chunkOffset: int = 0
    """eStargz: where in the file's content this chunk starts."""
    chunkSize: int = 0
    """eStargz: the chunk's uncompressed bytes; 0 for the last (or only) chunk: the rest."""


class Toc(msgspec.Struct, gc=False):
    """A whole TOC document."""

    version: int
    """1 for both formats."""
    entries: list[TocEntry]
    """The members (and chunks), in the layer's order."""


_DECODER = msgspec.json.Decoder(Toc)
FILE, DIRECTORY, SYMLINK, HARDLINK, WHITEOUT, OPAQUE, OTHER = map(int, EntryKind)
TYPES = {"reg": FILE, "dir": DIRECTORY, "symlink": SYMLINK, "hardlink": HARDLINK,
         "char": OTHER, "block": OTHER, "fifo": OTHER}
"""TOC entry types (both formats) -> the kind the tar reader gives the same member."""


@dataclass(frozen=True, slots=True)
class Decoded:
    """A TOC's members as the tar reader's entries, and where to find their records."""

    entries: list[FileEntry]
    """The entries, content known by digest (layers.toc's hashes of the digest kind)."""
    located: dict[int, int]
    """Entry index of each regular file with content -> its record's index in the TOC."""
    kept: list[int]
    """Entry indexes of the regular files the capture policy keeps, in order."""
    records: list[TocEntry]
    """The TOC's records."""


def decode(text: bytes) -> list[TocEntry]:
    """The entries of a version 1 TOC document (TocUnusable when it is none)."""
    try:
        toc = _DECODER.decode(text)
    except msgspec.DecodeError as error:  # ValidationError (a field of the wrong type) is one
        raise TocUnusable(f"the TOC is not a TOC document: {error}") from None
    if toc.version != 1:
        raise TocUnusable("the TOC is not version 1")
    return toc.entries


def file_entries(  # noqa: C901, PLR0912, PLR0915 - the hot member loop: one pass, no calls
        records: Sequence[TocEntry], capture: CapturePolicy | None,
        first_offset: int) -> Decoded:
    """The entries the tar reader makes of the members the records describe (the root and aufs
    bookkeeping skipped, chunk records left to the format's reader); a regular file with
    content needs a digest and an offset of at least `first_offset`."""
    entries: list[FileEntry] = []
    located: dict[int, int] = {}
    kept: list[int] = []
    append, new, types, base = entries.append, tuple.__new__, TYPES, TOC_HASH_BASE
    from_bytes = int.from_bytes  # big-endian, as the digits are written
    prefixes, suffixes = (capture.prefixes, capture.suffixes) if capture else ((), ())
    for position, record in enumerate(records):
        kind = types.get(record.type)
        if kind is None:
            if record.type == "chunk":
                continue
            raise TocUnusable(f"a TOC entry of unknown type {record.type[:40]!r}")
        name = record.name
        if "\ufffd" in name:
            raise TocUnusable("the TOC cannot spell a member name that is not UTF-8")
        # the common case of tarindex.normalize_member_path, without the call
        if name[:1] not in "./" and "//" not in name and "/." not in name:
            path = "/" + name[:-1] if name[-1] == "/" else "/" + name
        else:
            path = normalize_member_path(name)
        if path == "/":
            continue
        if ".wh." in path:
            directory, _, base_name = path.rpartition("/")
            if base_name.startswith(WHITEOUT_PREFIX):
                if base_name == OPAQUE_MARKER:
                    append(FileEntry(directory or "/", OPAQUE, 0))
                elif not base_name.startswith(".wh..wh."):
                    append(FileEntry(directory + "/" + base_name[4:], WHITEOUT, 0))
                continue
        if kind == FILE:
            size = record.size
            if size:
                digest = record.digest
                if record.offset < first_offset or len(digest) != 71 or digest[:7] != "sha256:":
                    raise TocUnusable(f"the TOC gives no sha256 digest or offset for {path[:200]!r}")
                try:  # 32 bytes from 64 characters: hex digits only (int() takes "+", "_")
                    value = bytes.fromhex(digest[7:])
                except ValueError:
                    value = b""
                if len(value) != 32:
                    raise TocUnusable(f"a malformed TOC digest: {digest[:80]!r}")
                content_hash = base + from_bytes(value)
                located[len(entries)] = position
            else:
                content_hash = EMPTY_HASH
            if capture is not None and (path.startswith(prefixes) or path.endswith(suffixes)):
                kept.append(len(entries))
            append(new(FileEntry, (path, FILE, size, record.mode, record.uid, record.gid, None,
                                   content_hash)))
        elif kind == SYMLINK:
            link = _link_target(record)
            size = len(link) if link.isascii() else len(link.encode("utf-8", "surrogateescape"))
            append(new(FileEntry, (path, SYMLINK, size, record.mode, record.uid, record.gid, link,
                                   None)))
        elif kind == HARDLINK:
            link = _link_target(record)
            append(new(FileEntry, (path, HARDLINK, 0, record.mode, record.uid, record.gid,
                                   normalize_member_path(link), None)))
        else:
            append(new(FileEntry, (path, kind, 0, record.mode, record.uid, record.gid, None, None)))
    return Decoded(entries, located, kept, records)


def _link_target(record) -> str:
    """A link's target as the TOC spells it; a TOC writes a name that is not UTF-8 with U+FFFD,
    which no longer says which bytes the tar held."""
    link = record.linkName
    if "\ufffd" in link:
        raise TocUnusable("the TOC cannot spell a link target that is not UTF-8")
    return link
