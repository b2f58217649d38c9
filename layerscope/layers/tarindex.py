"""Index one layer's tar stream into FileEntry records, without extracting anything.

A small tar header reader of our own: `tarfile` builds a TarInfo and a file object per member,
which costs more than everything else layerscope does. This reader parses the 512-byte headers
(ustar, GNU long names, PAX records, GNU sparse), hashes regular files' content in place (no
copy when the whole layer is already in memory), and never writes anything.
"""

from __future__ import annotations

import mmap
import posixpath
from collections.abc import Callable
from dataclasses import dataclass

import xxhash

from ..errors import LayerReadError
from ..model import EntryKind, FileEntry
from .readahead import HEADROOM
from .tarheader import (
    BLOCK,
    EXTENDED_TYPES,
    LINK,
    MEMBER,
    PAX_LIMIT,
    POSIX_MAGIC,
    PREFIX,
    PREFIX_START,
    REGULAR_TYPES,
    SPARSE_EXTENDED,
    SPARSE_MORE,
    SPARSE_REAL_SIZE,
    SPARSE_TYPE,
    ZERO_BLOCK,
    Extensions,
    adler32,
    expected_adler,
    ids,
    is_header,
    member_name,
    number,
    pax_number,
    text,
)

WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"
READ_CHUNK = 4 << 20
"""Contents up to this size are hashed in one piece; larger ones stream through the window."""
WINDOW = 2 * READ_CHUNK
DEFER_OVER = 64 << 10
"""Regular files larger than this are skipped unread when the caller defers hashing: they hold
most of an image's bytes, and only the few at a path written twice need a hash."""
DEFERRING_READ = 1 << 20
"""Bytes read at a time when deferring: after a skipped file, read only what the next headers
and small files need."""
AFTER_SKIP_READ = 64 << 10
"""Bytes read first after a skipped file; each further read doubles, up to DEFERRING_READ: large
files often follow one another, and a whole read after each skip was mostly thrown away."""
CAPTURE_LIMIT = 64 << 20
"""Largest captured file kept in memory; a bigger one is indexed but not captured."""
MAX_MEMBER_SIZE = 1 << 50
"""Largest member size (or sparse real size) accepted: a pebibyte; anything larger is hostile."""

FILE_TYPES = REGULAR_TYPES | {SPARSE_TYPE}
"""Members indexed as regular files (a sparse file counts its real size)."""
# Kinds are stored as the plain ints of EntryKind: they compare and hash equal to the members,
# and a plain tuple of plain values is what marshal writes to the cache in one C call.
FILE, DIRECTORY, SYMLINK, HARDLINK, WHITEOUT, OPAQUE, OTHER = map(int, EntryKind)
KINDS = {ord("5"): DIRECTORY, ord("2"): SYMLINK, ord("1"): HARDLINK, ord("3"): OTHER,
         ord("4"): OTHER, ord("6"): OTHER}
_hash = xxhash.xxh3_64_intdigest

@dataclass(frozen=True, slots=True)
class CapturePolicy:
    """Which regular files' contents the reader keeps, for an analysis that reads them (the
    analysis defines it; the command passes it down: see analysis.packages)."""

    prefixes: tuple[str, ...]
    """Every kept path starts with one of these or ends with one of `suffixes`: a cut made in C
    for every file before `wants` is asked."""
    suffixes: tuple[str, ...]
    """See `prefixes`."""
    wants: Callable[[str], bool]
    """The exact test, for the paths that pass the cut."""


def normalize_member_path(name: str) -> str:
    """Turn a tar member name into an absolute path; refuse names that climb out of the root."""
    plain = name.lstrip("/").removeprefix("./").rstrip("/")
    if "//" not in plain and "/." not in plain and not plain.startswith("."):
        return "/" + plain  # the common case, without the component walk
    depth = 0
    for part in name.split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:  # normpath("/../x") is "/x", so this must be checked before it
                raise LayerReadError(f"member {name!r} escapes the image root")
        elif part not in ("", "."):
            depth += 1
    cleaned = posixpath.normpath("/" + name.lstrip("/"))
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    return cleaned


class _Reader:
    """Bytes of the layer: a fixed window refilled from a stream (straight into it with
    readinto where the stream has it), blocks a ReadAhead thread filled, or one buffer holding
    the whole layer."""

    __slots__ = ("buffer", "position", "consumed", "_read", "_readinto", "_window", "_whole",
                 "_blocks", "_block", "_read_size", "_next_read", "_skip")

    def __init__(self, source, head: bytes = b"", read_size: int = WINDOW) -> None:
        self.position = 0
        self.consumed = 0  # bytes of the stream before buffer[0], for messages
        self._read = self._readinto = self._blocks = self._block = self._skip = None
        self._whole = isinstance(source, (bytes, bytearray, memoryview))
        if self._whole:
            self.buffer = memoryview(source)
        elif hasattr(source, "next_block"):
            self._blocks = source
            self.buffer = memoryview(source.head)
        else:
            # an anonymous map: no 8 MiB memset, only the pages a layer reaches get touched
            self._window = memoryview(mmap.mmap(-1, WINDOW))
            self._window[:len(head)] = head
            self.buffer = self._window[:len(head)]
            self._read = source.read
            self._readinto = getattr(source, "readinto", None)
            self._read_size = self._next_read = read_size
            self._skip = getattr(source, "skip", None)

    def offset(self) -> int:
        return self.consumed + self.position

    def available(self) -> int:
        return len(self.buffer) - self.position

    def fill(self, wanted: int) -> bool:
        """Make `wanted` bytes (at most READ_CHUNK) available; False at the end."""
        while len(self.buffer) - self.position < wanted:
            if self._blocks is not None:
                if not self._next_block():
                    return False
                continue
            if self._read is None:
                return False
            rest = len(self.buffer) - self.position
            if rest:
                self._window[:rest] = bytes(self.buffer[self.position:])  # a copy: regions may overlap
            self.consumed += self.position
            self.position = 0
            free = self._window[rest:rest + max(self._next_read, wanted - rest)]
            self._next_read = min(2 * self._next_read, self._read_size)
            if self._readinto is not None:
                count = self._readinto(free) or 0
            else:
                chunk = self._read(len(free))
                count = len(chunk)
                free[:count] = chunk
            self.buffer = self._window[:rest + count]
            if not count:
                return False
        return True

    def skip_unread(self, size: int, padding: int) -> None:
        """Move past a member's `size` bytes of content and its `padding`, reading none of them
        that are not in the buffer yet (the source seeks past them). Data that ends inside the
        padding ends the layer (see skip_padding)."""
        available = len(self.buffer) - self.position
        if size + padding <= available:
            self.position += size + padding
            return
        skipped = self._skip(size + padding - available)
        self.consumed += len(self.buffer) + skipped
        self.buffer = self._window[:0]
        self.position = 0
        self._next_read = AFTER_SKIP_READ  # another large file may follow at once
        if skipped < size - available:
            raise LayerReadError(f"layer tar is truncated in a member's content at byte {self.offset()}")

    def skip_padding(self, size: int) -> None:
        """Move past the padding after a member's content; data that ends inside it is the end
        of the layer, not a truncation: Go's archive/tar (and so Docker) reads a short padding
        as the end of the archive, where a short content is an error."""
        while size:
            if self.available() == 0 and not self.fill(1):
                return
            step = min(size, self.available())
            self.position += step
            size -= step

    def skip_member(self, size: int) -> None:
        """Move past `size` bytes of content (all of which must be there) and their padding."""
        self.skip(size)
        self.skip_padding(-size % BLOCK)

    def _next_block(self) -> bool:
        """Move on to the next read-ahead block, the unread rest of this one copied in front."""
        block, count = self._blocks.next_block()
        if not count:
            return False
        rest = self.buffer[self.position:]
        start = HEADROOM - len(rest)  # rest < what fill was asked for <= READ_CHUNK <= HEADROOM
        block[start:HEADROOM] = rest
        previous, self._block = self._block, block
        self.consumed += self.position
        self.position = 0
        self.buffer = block[start:HEADROOM + count]
        if previous is not None:
            self._blocks.recycle(previous)
        return True

    def take(self, size: int, what: str) -> bytes:
        if not self.fill(size):
            raise LayerReadError(f"layer tar is truncated in {what} at byte {self.offset()}")
        data = self.buffer[self.position:self.position + size]
        self.position += size
        return bytes(data)

    def content(self, size: int, keep: bool) -> tuple[int, bytes | None]:
        """Hash the next `size` bytes (and keep them when asked), then skip the padding (data
        that ends inside it ends the layer: see skip_padding)."""
        padded = size + (-size % BLOCK)
        small = self._whole or padded <= READ_CHUNK  # big contents stream through
        if small and (self.fill(padded) or self.fill(size)):
            data = self.buffer[self.position:self.position + size]
            self.position = min(self.position + padded, len(self.buffer))
            return _hash(data), bytes(data) if keep else None
        digest = xxhash.xxh3_64()
        kept = bytearray() if keep else None
        remaining = size
        while remaining:
            if self.available() == 0 and not self.fill(1):
                raise LayerReadError(f"layer tar is truncated in a member's content at byte {self.offset()}")
            piece = self.buffer[self.position:self.position + min(remaining, self.available())]
            digest.update(piece)
            if kept is not None:
                kept += piece
            self.position += len(piece)
            remaining -= len(piece)
        self.skip_padding(padded - size)
        return digest.intdigest(), None if kept is None else bytes(kept)

    def skip(self, size: int) -> None:
        while size:
            if self.available() == 0 and not self.fill(1):
                raise LayerReadError(f"layer tar is truncated at byte {self.offset()}")
            step = min(size, self.available())
            self.position += step
            size -= step


IDS_CACHE_LIMIT = 4096
"""Distinct mode/uid/gid fields remembered: a layer has a handful, and parsing three octal
numbers per member costs a sixth of the whole read of a million small files."""
SIZES_CACHE_LIMIT = 4096
"""Distinct size fields remembered: small files repeat their sizes."""
SUMS_CACHE_LIMIT = 16384
"""Distinct checksum fields whose expected sum is remembered: a layer of a million small files
has a few hundred, one of large and varied files about one per three members."""
_new_entry = tuple.__new__


def index_layer(  # noqa: C901, PLR0912, PLR0915 - the hot member loop: a call per member costs
        source, captured: dict | None = None, deferred: list | None = None,
        head: bytes = b"", capture: CapturePolicy | None = None) -> tuple[tuple[FileEntry, ...], int]:
    """Read an uncompressed layer tar once; return its entries and its size in bytes.

    `source` is a stream with read(), or a buffer (bytes, memoryview) holding the whole layer;
    `head` is what was read of the stream before (to sniff its format). With `captured` and a
    `capture` policy, the content of the files the policy wants (up to CAPTURE_LIMIT bytes) is
    stored in `captured` by path, so an analysis can read them without a second pass. With
    `deferred` (and a source that can skip()), regular files over DEFER_OVER bytes are not
    read: their content_hash is None and (entry index, content offset in the layer, size) is
    appended to `deferred`, for hashing later the few the analysis compares.
    """
    # The loop keeps the read position in a local and hands it to the reader only around its
    # own calls: a million small files make every attribute access of the common path count.
    if deferred is not None:
        reader = _Reader(source, head, DEFERRING_READ)
    else:
        reader = _Reader(source, head)
    if captured is None:
        capture = None
    if capture is not None:
        cut_prefixes, cut_suffixes, wants = capture.prefixes, capture.suffixes, capture.wants
    entries: list[FileEntry] = []
    append = entries.append
    unpack = MEMBER.unpack_from
    adler = adler32
    sums_seen: dict[bytes, int] = {}
    sizes_seen: dict[bytes, int] = {}
    ids_seen: dict[bytes, tuple[int, int, int]] = {}
    total = 0
    extensions = Extensions()
    pending = False  # whether `extensions` holds anything: a local, tested for every member
    buffer = reader.buffer
    end = len(buffer)  # kept with `buffer`, as `position` is: the loop tests it for every member
    position = 0
    while True:
        if end - position < BLOCK:
            reader.position = position
            start = reader.offset()
            if not reader.fill(BLOCK):
                if reader.available() == 0 and (entries or start == 0):
                    break  # end of data without end-of-archive blocks: Docker's own tars end so
                raise LayerReadError(f"layer tar is truncated in a header at byte {start}")
            position, buffer = reader.position, reader.buffer
            end = len(buffer)
        header = position
        raw_name, raw_ids, raw_size, raw_sum, type_flag = unpack(buffer, header)
        position += BLOCK
        # tarheader.is_header's common case inline: a checksum field as Go, GNU tar and tarfile
        # write it (its expected adler32, remembered as owners are) and one adler32 of the block
        expected = sums_seen.get(raw_sum)
        if expected is None:
            expected = expected_adler(raw_sum)
            if len(sums_seen) < SUMS_CACHE_LIMIT:
                sums_seen[raw_sum] = expected
        if adler(buffer[header:position]) & 0xFFFF != expected:
            if buffer[header:position] == ZERO_BLOCK:
                break
            if not is_header(buffer[header:position]):
                raise LayerReadError("layer tar is unreadable: no valid tar header at byte "
                                     f"{reader.consumed + header}")
        # tarheader.number's common case inline (tests/layers/test_tarheader.py holds the two
        # to agree): eleven octal digits and a NUL (or a space, or twelve digits)
        size = sizes_seen.get(raw_size)
        if size is None:
            try:
                size = int(raw_size[:11] if raw_size[11] == 0 else raw_size, 8)
            except ValueError:  # shorter fields, base-256 numbers, junk: the careful path
                size = number(raw_size, "size", reader.consumed + header)
            if len(sizes_seen) < SIZES_CACHE_LIMIT:
                sizes_seen[raw_size] = size
        owner = ids_seen.get(raw_ids)
        if owner is None:
            owner = ids(raw_ids, reader.consumed + header)
            if len(ids_seen) < IDS_CACHE_LIMIT:
                ids_seen[raw_ids] = owner
        if type_flag in EXTENDED_TYPES:
            start = reader.consumed + header
            if not 0 <= size <= PAX_LIMIT:
                raise LayerReadError(f"oversized extended header ({size} bytes) at byte {start}")
            reader.position = position
            data = reader.take(size, "an extended header")
            reader.skip_padding(-size % BLOCK)
            position, buffer = reader.position, reader.buffer
            end = len(buffer)
            extensions.read(type_flag, data, start)
            pending = True
            continue
        mode, uid, gid = owner
        link = None
        real_size = size
        if pending or type_flag == SPARSE_TYPE:
            start = reader.consumed + header
            block = bytes(buffer[header:header + BLOCK])
            pax = extensions.pax
            name = extensions.member_name(member_name(block))
            link = extensions.member_link(None)
            if "size" in pax:
                size = real_size = pax_number(pax["size"], "size", start)
            if type_flag == SPARSE_TYPE:
                real_size = number(block[SPARSE_REAL_SIZE], "sparse size", start)
                more = block[SPARSE_EXTENDED]
                reader.position = position
                while more:  # old GNU sparse maps continue in extension blocks
                    more = reader.take(BLOCK, "a sparse map")[SPARSE_MORE]
                position, buffer = reader.position, reader.buffer
                end = len(buffer)
            if "GNU.sparse.realsize" in pax or "GNU.sparse.size" in pax:
                real_size = pax_number(pax.get("GNU.sparse.realsize", pax.get("GNU.sparse.size")),
                                       "size", start)
            if "uid" in pax:
                uid = pax_number(pax["uid"], "uid", start)
            if "gid" in pax:
                gid = pax_number(pax["gid"], "gid", start)
            extensions.clear()
            pending = False
            if not (0 <= size <= MAX_MEMBER_SIZE and 0 <= real_size <= MAX_MEMBER_SIZE):
                _refuse_size(name, real_size if 0 <= size <= MAX_MEMBER_SIZE else size, start)
        else:
            # tarheader.member_name inline: the name field, and a ustar prefix only where set
            name = raw_name.partition(b"\0")[0].decode("utf-8", "surrogateescape")
            if buffer[header + PREFIX_START] and buffer[header + 257:header + 263] == POSIX_MAGIC:
                name = text(bytes(buffer[header:header + BLOCK])[PREFIX]) + "/" + name
            if not 0 <= size <= MAX_MEMBER_SIZE:
                _refuse_size(name, size, reader.consumed + header)

        regular = type_flag not in KINDS  # content follows (tarheader.has_content)
        # normalize_member_path's common cases inline: a plain name, then "./name" or "dir/"
        if name and name[0] not in "./" and name[-1] != "/" and "//" not in name and "/." not in name:
            path = "/" + name
        else:
            plain = name.rstrip("/")
            if plain[:2] == "./":
                plain = plain[2:]
            if plain and plain[0] not in "./" and "//" not in plain and "/." not in plain:
                path = "/" + plain
            else:
                path = normalize_member_path(name)
                if path == "/":
                    if regular:
                        position = _skip(reader, position, size)
                        buffer = reader.buffer
                        end = len(buffer)
                    continue
        if ".wh." in path:
            directory, _, base = path.rpartition("/")
            if base.startswith(WHITEOUT_PREFIX):
                if regular:
                    position = _skip(reader, position, size)
                    buffer = reader.buffer
                    end = len(buffer)
                if base == OPAQUE_MARKER:
                    append(FileEntry(directory or "/", OPAQUE, 0))
                elif not base.startswith(".wh..wh."):  # .wh..wh.plnk and such: aufs bookkeeping
                    append(FileEntry(directory + "/" + base[4:], WHITEOUT, 0))
                continue
        if regular:
            keep = (capture is not None and size <= CAPTURE_LIMIT
                    and (path.startswith(cut_prefixes) or path.endswith(cut_suffixes))
                    and wants(path))
            padded = size + (-size % BLOCK)
            if not keep and position + padded <= end:  # all of it in the window
                content_hash = _hash(buffer[position:position + size])
                position += padded
            elif deferred is not None and not keep and size > DEFER_OVER:
                deferred.append((len(entries), reader.consumed + position, size))
                content_hash = None
                reader.position = position
                reader.skip_unread(size, padded - size)
                position, buffer = reader.position, reader.buffer
                end = len(buffer)
            else:
                reader.position = position
                content_hash, content = reader.content(size, keep)
                position, buffer = reader.position, reader.buffer
                end = len(buffer)
                if content is not None:
                    captured[path] = content
            if type_flag in FILE_TYPES:
                append(_new_entry(FileEntry, (path, FILE, real_size, mode, uid, gid, None, content_hash)))
                total += real_size
            else:
                append(FileEntry(path, OTHER, 0, mode, uid, gid))
            continue
        kind = KINDS[type_flag]
        if link is None:
            link = text(bytes(buffer[header:header + BLOCK])[LINK])
        if kind == SYMLINK:
            target_size = len(link.encode("utf-8", "surrogateescape"))
            append(FileEntry(path, kind, target_size, mode, uid, gid, link))
            total += target_size
        elif kind == HARDLINK:
            append(FileEntry(path, kind, 0, mode, uid, gid, normalize_member_path(link)))
        else:
            append(FileEntry(path, kind, 0, mode, uid, gid))
    return tuple(entries), total


def _skip(reader: _Reader, position: int, size: int) -> int:
    """Skip a member's `size` bytes of content and their padding from `position`; the new
    position (the reader's buffer may change)."""
    reader.position = position
    reader.skip_member(size)
    return reader.position


def _refuse_size(name: str, size: int, offset: int):
    kind = "negative" if size < 0 else "absurd"
    raise LayerReadError(f"{kind} size {size} in the tar header of member {name[:200]!r} "
                         f"at byte {offset}")
